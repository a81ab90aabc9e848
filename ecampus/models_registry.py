"""Imports every feature's models so SQLAlchemy metadata and Alembic see all tables."""

from .audit import models as audit_models  # noqa: F401
from .auth import models as auth_models  # noqa: F401
from .catalog import models as catalog_models  # noqa: F401
from .certificates import models as certificate_models  # noqa: F401
from .institutions import models as institution_models  # noqa: F401
from .jobs import models as job_models  # noqa: F401
from .learning import models as learning_models  # noqa: F401
from .quizzes import models as quiz_models  # noqa: F401
from .sources import models as source_models  # noqa: F401
