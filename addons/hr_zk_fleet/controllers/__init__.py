from . import relay_status
