from . import hr_cto_certificate
