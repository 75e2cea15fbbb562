from . import (
    hr_cto_bank,
    hr_cto_credit,
    hr_cto_ledger_entry,
    hr_cto_lot,
    hr_cto_payout_line,
    hr_employee,
    hr_leave,
    hr_leave_type,
    res_company,
    res_config_settings,
    zk_daily_record,
    zk_overtime_line,
)
