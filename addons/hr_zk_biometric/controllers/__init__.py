from . import photo
