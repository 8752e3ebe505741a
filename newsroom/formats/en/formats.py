"""How dates read everywhere: the dashboard, the queue, the review page and the admin (FORMAT_MODULE_PATH).

Templates use `|date` (a date) or `|date:"DATETIME_FORMAT"` (a moment), never a format of their own.
"""

DATE_FORMAT = "d M Y"  # 01 May 2024
DATETIME_FORMAT = "d M Y H:i"  # 01 May 2024 14:05
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "d M"  # chart axes, the admin's date drill-down
SHORT_DATE_FORMAT = "d M Y"
SHORT_DATETIME_FORMAT = "d M Y H:i"
