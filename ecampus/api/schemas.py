"""The API's JSON shapes (marshmallow), from which the OpenAPI document is generated."""

from __future__ import annotations

from datetime import UTC, datetime

import marshmallow as ma
from marshmallow import validate

from ..institutions.csvfile import MAX_EMAIL, MAX_EXTERNAL_ID, MAX_NAME

MAX_LIMIT = 500


def rfc3339(value: datetime | None) -> str | None:
    """A stored (naive UTC) time as RFC 3339 with `Z`, for answers built without a schema."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


class UtcDateTime(ma.fields.DateTime):
    """RFC 3339 in UTC with a `Z` ("2026-12-07T10:20:00Z"); read with any offset, stored
    naive UTC like every timestamp column."""

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.replace(microsecond=0).isoformat() + "Z"

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, str) or len(value) > 40:
            raise self.make_error("invalid", input=value, obj_type="datetime")
        try:
            parsed = datetime.fromisoformat(value.replace("z", "Z"))
            if parsed.tzinfo is None:
                raise ValueError("no offset")
            return parsed.astimezone(UTC).replace(tzinfo=None)
        except (ValueError, OverflowError):
            raise self.make_error("invalid", input=value, obj_type="datetime") from None


class Problem(ma.Schema):
    """RFC 9457 problem details."""

    type = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    status = ma.fields.Integer(required=True)
    detail = ma.fields.String()
    errors = ma.fields.Dict(metadata={"description": "Invalid fields, by location and name."})


class PageArgs(ma.Schema):
    """Cursor paging: pass a page's `next_cursor` back as `cursor` to read the next."""

    cursor = ma.fields.String(validate=validate.Length(max=200),
                              metadata={"description": "Opaque: a previous page's next_cursor."})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(1, MAX_LIMIT))


class SyncArgs(PageArgs):
    updated_since = UtcDateTime(metadata={
        "description": "Only rows changed at or after this time (RFC 3339), for incremental "
                       "synchronisation."})


class Page(ma.Schema):
    next_cursor = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "Pass as `cursor` for the next page; null on the last page."})


def page_of(item_schema, name: str) -> type[ma.Schema]:
    """A page schema of `item_schema` items."""
    return type(name, (Page,), {"items": ma.fields.List(ma.fields.Nested(item_schema),
                                                        required=True)})


# --- The token itself --------------------------------------------------------------------

class Me(ma.Schema):
    token_id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["personal", "institution",
                                                             "site"]})
    scopes = ma.fields.List(ma.fields.String(), required=True)
    user_id = ma.fields.Integer(required=True)
    institution_id = ma.fields.Integer(allow_none=True, required=True)


# --- Courses -------------------------------------------------------------------------------

class CourseItem(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    base_language = ma.fields.String(required=True)
    languages = ma.fields.List(ma.fields.String(), required=True)
    enrolment = ma.fields.String(required=True, metadata={"enum": ["open", "invite"]})
    duration_minutes = ma.fields.Integer(allow_none=True, required=True)
    version = ma.fields.Integer(required=True)
    updated_at = UtcDateTime(required=True)


class ModuleItem(ma.Schema):
    id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    position = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["lesson", "quiz"]})
    required = ma.fields.Boolean(required=True)
    title = ma.fields.String(required=True)
    duration_minutes = ma.fields.Integer(allow_none=True, required=True)


class CourseDetail(CourseItem):
    modules = ma.fields.List(ma.fields.Nested(ModuleItem), required=True)


class LanguageArgs(PageArgs):
    language = ma.fields.String(validate=validate.Length(max=8), metadata={
        "description": "Titles in this language when the course has it."})


# --- Cohorts -------------------------------------------------------------------------------

class CohortItem(ma.Schema):
    id = ma.fields.Integer(required=True)
    institution_id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    archived_at = UtcDateTime(allow_none=True, required=True)


class CohortListArgs(PageArgs):
    archived = ma.fields.Boolean(load_default=False, metadata={
        "description": "List archived cohorts instead of current ones."})


class CohortCreate(ma.Schema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 200))
    description = ma.fields.String(load_default="", validate=validate.Length(max=2000))
    institution_id = ma.fields.Integer(validate=validate.Range(1, 2**31 - 1), metadata={
        "description": "Required with a site token; an institution token's own otherwise."})


class CohortUpdate(ma.Schema):
    name = ma.fields.String(validate=validate.Length(1, 200))
    description = ma.fields.String(validate=validate.Length(max=2000))


class CohortCourseItem(ma.Schema):
    course_id = ma.fields.Integer(required=True)
    slug = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    due_on = ma.fields.Date(allow_none=True, required=True)


class CohortCourseSet(ma.Schema):
    due_on = ma.fields.Date(allow_none=True, load_default=None)


# --- Members ---------------------------------------------------------------------------------

class MemberItem(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    full_name = ma.fields.String(required=True)
    external_id = ma.fields.String(allow_none=True, required=True)


class PersonIn(ma.Schema):
    email = ma.fields.String(required=True, validate=validate.Length(max=MAX_EMAIL))
    full_name = ma.fields.String(load_default="", validate=validate.Length(max=MAX_NAME))
    language = ma.fields.String(load_default="", validate=validate.Length(max=8))
    external_id = ma.fields.String(load_default="", validate=validate.Length(
        max=MAX_EXTERNAL_ID))


class People(ma.fields.List):
    """A list of PersonIn, documented as such, read without a schema per person: a bulk
    add of 10,000 people spends its time on the import's checks, not on parsing."""

    LIMITS = {"email": MAX_EMAIL, "full_name": MAX_NAME, "language": 8,
              "external_id": MAX_EXTERNAL_ID}

    def __init__(self, **kwargs):
        super().__init__(ma.fields.Nested(PersonIn), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, list):
            raise ma.ValidationError("Not a valid list.")
        people, errors = [], {}
        for index, item in enumerate(value):
            if not isinstance(item, dict):
                errors[index] = {"_schema": ["Invalid input type."]}
                continue
            problems = {}
            person = {}
            for name, limit in self.LIMITS.items():
                text = item.get(name, "")
                if not isinstance(text, str):
                    problems[name] = ["Not a valid string."]
                elif len(text) > limit:
                    problems[name] = [f"Longer than maximum length {limit}."]
                person[name] = text if isinstance(text, str) else ""
            if "email" not in item:
                problems["email"] = ["Missing data for required field."]
            for name in item.keys() - self.LIMITS.keys():
                problems[name] = ["Unknown field."]
            if problems:
                errors[index] = problems
            people.append(person)
        if errors:
            raise ma.ValidationError(errors)
        return people


class MembersAdd(ma.Schema):
    people = People(required=True, validate=validate.Length(1, 10_000))
    preview = ma.fields.Boolean(load_default=False, metadata={
        "description": "Only say what adding would do; change nothing."})


class LineProblem(ma.Schema):
    index = ma.fields.Integer(required=True, metadata={
        "description": "Position of the person in `people`, from 0."})
    code = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class LineAction(ma.Schema):
    email = ma.fields.String(required=True)
    action = ma.fields.String(required=True, metadata={
        "enum": ["invite", "enrol", "invited", "member"]})


class MembersResult(ma.Schema):
    applied = ma.fields.Boolean(required=True)
    counts = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    lines = ma.fields.List(ma.fields.Nested(LineAction), required=True, metadata={
        "description": "With `preview`: what adding does to each person; else empty."})
    problems = ma.fields.List(ma.fields.Nested(LineProblem), required=True)


# --- Progress and results ---------------------------------------------------------------------

class ProgressItem(ma.Schema):
    user_id = ma.fields.Integer(required=True)
    email = ma.fields.String(required=True)
    external_id = ma.fields.String(allow_none=True, required=True)
    course_id = ma.fields.Integer(required=True)
    course_slug = ma.fields.String(required=True)
    active = ma.fields.Boolean(required=True)
    enrolled_at = UtcDateTime(required=True)
    progress_percent = ma.fields.Integer(required=True)
    completed_at = UtcDateTime(allow_none=True, required=True)
    due_on = ma.fields.Date(allow_none=True, required=True)
    quiz_score = ma.fields.Float(allow_none=True, required=True)
    quiz_passed = ma.fields.Boolean(allow_none=True, required=True)
    certificate_code = ma.fields.String(allow_none=True, required=True)
    updated_at = UtcDateTime(required=True)


# --- Certificates -----------------------------------------------------------------------------

class CertificateItem(ma.Schema):
    code = ma.fields.String(required=True)
    user_id = ma.fields.Integer(required=True)
    course_id = ma.fields.Integer(required=True)
    course_title = ma.fields.String(required=True)
    issued_on = ma.fields.Date(required=True)
    expires_on = ma.fields.Date(allow_none=True, required=True)
    status = ma.fields.String(required=True, metadata={
        "enum": ["valid", "revoked", "replaced"]})
    revoked_at = UtcDateTime(allow_none=True, required=True)


class CertificateRevoke(ma.Schema):
    reason = ma.fields.String(required=True, validate=validate.Length(1, 1000))


# --- Webhook endpoints --------------------------------------------------------------------

class WebhookItem(ma.Schema):
    id = ma.fields.Integer(required=True)
    url = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    events = ma.fields.List(ma.fields.String(), required=True)
    active = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


class WebhookCreated(WebhookItem):
    secret = ma.fields.String(required=True, metadata={
        "description": "The signing secret (Standard Webhooks), shown only in this answer."})


class WebhookCreate(ma.Schema):
    url = ma.fields.String(required=True, validate=validate.Length(1, 2000))
    events = ma.fields.List(ma.fields.String(validate=validate.Length(max=40)), required=True,
                            validate=validate.Length(1, 20))
    description = ma.fields.String(load_default="", validate=validate.Length(max=200))
