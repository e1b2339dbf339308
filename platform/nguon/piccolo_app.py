"""Piccolo's view of Nguồn: one app holding every table and its migrations."""

from __future__ import annotations

from pathlib import Path

from piccolo.conf.apps import AppConfig

from nguon.accounts.tables import SignIn, User
from nguon.api.idempotency_tables import IdempotencyRecord
from nguon.audit.tables import AuditEvent
from nguon.org.tables import Membership, OrgUnit, Restructuring, UnitSuccession
from nguon.people.moves import CandidateMove
from nguon.people.tables import Candidate, Member, MemberChange
from nguon.people.upload_tables import MemberUpload
from nguon.pipeline.event_tables import PipelineEvent
from nguon.pipeline.export_tables import ListExport
from nguon.pipeline.road_tables import AdmissionIntroducer, AdmissionStep
from nguon.pipeline.rules_tables import RulesPublication, RulesWhatIf
from nguon.pipeline.tables import (
    AdmissionPlan,
    CandidateDecision,
    CandidateList,
    Course,
    CourseEnrolment,
    HelperAssignment,
    ListEntry,
    ListExclusion,
    ListTransition,
    Resolution,
    StageChange,
)
from nguon.plugin_admin.tables import TenantPlugin
from nguon.plugins_builtin.reminders.tables import DeadlineReminder
from nguon.plugins_builtin.webhooks.tables import WebhookDelivery
from nguon.portal.tables import KeyValue
from nguon.reports.tables import FigureRollup
from nguon.tenancy.tables import Tenant

TABLES = [
    Tenant,
    User,
    OrgUnit,
    Membership,
    Candidate,
    Member,
    MemberChange,
    AuditEvent,
    CandidateList,
    ListEntry,
    Resolution,
    ListTransition,
    CandidateDecision,
    Course,
    CourseEnrolment,
    HelperAssignment,
    AdmissionPlan,
    StageChange,
    KeyValue,
    TenantPlugin,
    WebhookDelivery,
    DeadlineReminder,
    Restructuring,
    UnitSuccession,
    CandidateMove,
    ListExclusion,
    PipelineEvent,
    SignIn,
    IdempotencyRecord,
    AdmissionStep,
    AdmissionIntroducer,
    RulesPublication,
    RulesWhatIf,
    MemberUpload,
    ListExport,
    FigureRollup,
]

APP_CONFIG = AppConfig(
    app_name="nguon",
    migrations_folder_path=str(Path(__file__).parent / "db" / "migrations"),
    table_classes=TABLES,
    migration_dependencies=[],
    commands=[],
)
