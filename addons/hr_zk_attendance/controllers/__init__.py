from . import relay_delivery
