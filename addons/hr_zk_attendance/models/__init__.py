from . import hr_attendance, hr_employee, zk_device, zk_device_user, zk_punch, zk_relay
