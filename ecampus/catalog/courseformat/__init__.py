"""The course format: read a folder of Markdown courses, check it, and render it.

Pure functions over files and plain data, with no Flask and no database, so that the
``ecampus courses check`` command, the publisher and the tests share one implementation.
"""

from .model import (
    CertificateSettings,
    Course,
    CourseResult,
    CourseText,
    MediaFile,
    Module,
    ModuleText,
    Problem,
    QuizSettings,
)
from .reader import (
    DEFAULT_BASE_URL,
    course_folders,
    has_errors,
    read_course,
    read_courses,
    source_fingerprint,
)
from .settings import parse_duration

__all__ = [
    "DEFAULT_BASE_URL",
    "CertificateSettings",
    "Course",
    "CourseResult",
    "CourseText",
    "MediaFile",
    "Module",
    "ModuleText",
    "Problem",
    "QuizSettings",
    "course_folders",
    "has_errors",
    "parse_duration",
    "read_course",
    "read_courses",
    "source_fingerprint",
]
