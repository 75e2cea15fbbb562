from . import (
    hr_contract,
    hr_leave,
    hr_work_entry,
    payroll_export_batch,
    payroll_export_batch_part,
    payroll_export_check,
    res_company,
    res_config_settings,
    zk_daily_record,
    zk_overtime_line,
)
