from . import hr_cto_certificate_wizard, hr_cto_opening_import
