from . import photo, relay_biometric
