from . import payroll_export_batch, res_company
