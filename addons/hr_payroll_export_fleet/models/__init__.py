from . import payroll_export_batch, res_config_settings
