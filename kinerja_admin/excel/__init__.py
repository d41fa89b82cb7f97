"""Excel in and out: validated master-data import (openpyxl read-only) and the streaming,
scoped inspector export (xlsxwriter constant_memory)."""
