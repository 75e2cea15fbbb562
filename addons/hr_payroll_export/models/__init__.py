from . import (
    ir_attachment,
    ir_binary,
    payroll_export_batch,
    payroll_export_batch_inputs,
    payroll_export_batch_part,
    payroll_export_batch_people,
    payroll_export_check,
    payroll_export_download,
    res_company,
    res_config_settings,
    zk_daily_record,
)
