"""The KBO/BCE register (Crossroads Bank for Enterprises) and the check of organisations against it.

One module per job; callers use the package (`from matchmaker.services import kbo`), which re-exports the
public names. Modules import their siblings directly, never through this package.

- `files`: the published open data read as a stream (plain Python);
- `register`: an import of a full extract, as the job `kbo.import` or from the command line;
- `names`: how an organisation's name is compared with the register's (plain Python);
- `checks`: an organisation compared with the register, for the administrators who verify it.
"""

from matchmaker.services.kbo.checks import (
    PUBLIC_SECTOR_FORMS,
    KboCheck,
    KboName,
    KboSeat,
    Outcome,
    check,
    check_many,
    public_form_counts,
)
from matchmaker.services.kbo.register import (
    KIND,
    import_register,
    latest_import,
    loaded_import,
    start_import,
)

__all__ = [
    "KIND",
    "PUBLIC_SECTOR_FORMS",
    "KboCheck",
    "KboName",
    "KboSeat",
    "Outcome",
    "check",
    "check_many",
    "import_register",
    "latest_import",
    "loaded_import",
    "public_form_counts",
    "start_import",
]
