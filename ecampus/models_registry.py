"""Imports every feature's models so SQLAlchemy metadata and Alembic see all tables."""

from .api import models as api_models  # noqa: F401
from .audit import models as audit_models  # noqa: F401
from .auth import models as auth_models  # noqa: F401
from .catalog import models as catalog_models  # noqa: F401
from .certificates import models as certificate_models  # noqa: F401
from .institutions import models as institution_models  # noqa: F401
from .institutions import tallies as institution_tallies  # noqa: F401 - their triggers
from .jobs import models as job_models  # noqa: F401
from .learning import models as learning_models  # noqa: F401
from .personal import models as personal_models  # noqa: F401
from .quizzes import models as quiz_models  # noqa: F401
from .sources import models as source_models  # noqa: F401
from .webhooks import models as webhook_models  # noqa: F401
