from . import portal, relay_delivery
