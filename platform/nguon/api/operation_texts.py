"""What the OpenAPI document says of each operation beyond its summary: a description
(by the handler's qualified name; a handler's own docstring is used when it has one) and
an example of each request body (checked against its Struct by the tests)."""

from __future__ import annotations

from typing import Any

API_DESCRIPTION = """\
Nguồn keeps the pipeline of Party admission candidates of a province (a *tenant*): the
survey of candidates (step 1), the nominees for the Party awareness course and its
certificates (step 2), and the admission sources, helpers and admission (step 3), each
step a list a unit adopts and submits up its reporting chain.

Every operation lives under `/t/{tenant}/api/v2/`, `{tenant}` being the province's slug.
`/api/v1/` answers the same operations with the names of before (see the glossary in
`docs/api.md`) until its sunset, with `Deprecation`, `Sunset` and a `successor-version`
link on every answer; it is not in this document.

**Authentication.** `POST /t/{tenant}/api/v2/auth/token` with a username and password
returns a bearer token; send it as `Authorization: Bearer <token>` on every other
operation. A token is valid for one tenant only and is revoked when the password changes.
What a caller sees and may change follows its role and its units.

**Versions.** Objects that change carry a `version` and answer an `ETag`; send the version
you read as `If-Match` (a stale one is 412 `precondition_failed` with `current_version`) or
in the body (409 `version_mismatch`); a write with neither is 428. `If-None-Match` on a read
answers 304 when nothing changed.

**Retries.** Every `POST` takes an `Idempotency-Key`: the same key and body replay the first
answer (`Idempotent-Replayed: true`); the same key with another body is 422.

**Pages.** Every collection is paged by `cursor` and `limit` (1–100) in a stable order, the
next page in the body's `next` and in a `Link: <…>; rel="next"` header.

**Errors.** Every error is an RFC 9457 problem (`application/problem+json`) with `type`
(the URI of a page documenting it, `/errors/{code}`), a stable machine `code`, `title`
and `detail` in Vietnamese, `title_en` and `detail_en` in English, `status`, `instance`,
`request_id` (quote it to support) and, for input errors, `errors`: every field problem
at once, each with a JSON `pointer` into the body (or the `parameter` it concerns), a
field `code` and messages in both languages. Each operation lists the statuses it can
answer. The full list of codes is at `/errors`.

The guide, with walk-throughs in curl and Python: `docs/api.md` (errors:
`docs/api-errors.md`; concurrency, retries, pages and webhook signatures: `docs/api-http.md`).
"""

DESCRIPTIONS: dict[str, str] = {
    "redeliver_webhook": (
        "For tenant administrators: sends one past webhook delivery again now, with the same "
        "body and delivery id and a fresh signature, counted as one more attempt and audited."
    ),
    "send_webhook_test": (
        "For tenant administrators: sends a signed `webhook.test` event to one configured "
        "endpoint (`url`) or to all, so a receiver can check its signature verification; "
        "answers the deliveries made, audited."
    ),
    "get_evaluation": (
        "What the rules decide today about a person, for each step (survey, course nominee, "
        "admission source, stage changes): the outcome, each reason with its clause (document, "
        "article, text; inferences marked with confidence L) and the parameter values it used."
    ),
    "reevaluate_candidate": (
        "Asks for the person's decisions to be computed again and stored (after a correction "
        "of the rules or of the data): answered 202 with a job whose `url` reports progress. "
        "Needs the editor role on the person's unit; audited."
    ),
    "reevaluate_unit": (
        "Asks for everyone in the unit's subtree to be evaluated again: answered 202 with a "
        "job whose `url` reports progress (`queued`, `running`, `done`, `failed`). Needs the "
        "editor role on the unit; audited."
    ),
    "get_job_progress": (
        "A job of this tenant (a re-evaluation, a list export, an import): its state and how "
        "many people are done of the total; a finished export's `file_url`; a finished "
        "import's `created`, or every bad row in `problems` (nothing written then). Another "
        "tenant's job, or an expired one, is 404."
    ),
    "unit_figures": (
        "The unit's figures for a year, from the same source as its dashboard: people by "
        "stage on the figures' day, the year by quarter against the plan's targets, each "
        "review period's lists and the units that still owe theirs, the sub-units' rows, and "
        "the definition of every figure."
    ),
    "list_chain": (
        "The units a list passes through on its way up (its own unit, then each receiver up "
        "to the top), with each unit's own list of the same step and period where the caller "
        "may see it; `broken` says why the chain stops when the tree lacks a unit."
    ),
    "UserAdminController.list_users": (
        "Users the caller administers (a tenant administrator: everyone; a unit administrator: "
        "those holding a role in the unit's subtree), searched by username or name without "
        "diacritics, with their roles and whether the caller may manage them."
    ),
    "UserAdminController.create_user": (
        "Creates a user, with a first role on a unit when given (required of unit "
        "administrators); answers a one-time password, shown once, that the user must change "
        "at the first sign-in. Audited."
    ),
    "UserAdminController.deactivate": (
        "Deactivates a user: every session and token ends at once. The last active tenant "
        "administrator cannot be deactivated (409), nor an already deactivated user. Audited."
    ),
    "UserAdminController.get_user": (
        "One user the caller administers, with current roles; a user out of the caller's "
        "reach is 404 like a missing one."
    ),
    "UserAdminController.grant": (
        "Gives the user a role on a unit from today. Nobody grants a role above their own or "
        "changes their own roles; `tenant_admin` only on the root unit. Audited."
    ),
    "UserAdminController.reactivate": (
        "Reactivates a deactivated user (an active one is 409); the old sessions and tokens "
        "stay void. Audited."
    ),
    "UserAdminController.reset_password": (
        "Replaces the user's password with a one-time password, shown once, that must be "
        "changed at the next sign-in; every session and token of the user ends. Audited."
    ),
    "UserAdminController.revoke": (
        "Takes a role away: it ends yesterday and stays in the history. The last tenant "
        "administrator keeps theirs (409). Audited."
    ),
    "health": (
        "Whether this process can serve: `ok`, `degraded` (the session store is down: the API "
        "works, signing in to the portal does not) or `unavailable` (the database does not "
        "answer: 503 with `Retry-After`). For load balancers; needs no token."
    ),
    "issue_token": (
        "Signs a user of this tenant in and returns a bearer token for the other operations. "
        "Repeated wrong passwords lock the account out for a while (429 with `Retry-After`). "
        "Needs no token."
    ),
    "UnitController.get_unit": (
        "One unit of the organisation (province committee, district-level committee, cell, …) "
        "within the caller's reach; a unit outside it is answered 404 like a missing one."
    ),
    "UnitController.list_units": (
        "The units the caller may see, parents before their children, with their kind and "
        "their place in the tree."
    ),
    "CandidateController.create_candidate": (
        "Records a person as a candidate in a cell the caller may edit. The stage and the "
        "certificate are not written here: they change only through the pipeline (lists, "
        "courses, certificates, helpers, admission decisions)."
    ),
    "CandidateController.search_candidates": (
        "Candidates of the caller's units (or of one unit's subtree), by name with or without "
        "diacritics, a page at a time."
    ),
    "CandidateController.get_candidate": "One candidate, with its current stage and version.",
    "CandidateController.update_candidate": (
        "Changes the fields present in the body; the others stay. `version` must be the one "
        "read, else 409 `version_mismatch`. Stage and certificate fields are refused by name."
    ),
    "MemberController.create_member": (
        "Records a Party member of a cell, who may later be assigned to help a candidate or "
        "introduce one for admission."
    ),
    "MemberController.search_members": (
        "Members of the caller's units by name, current, ended or all, a page at a time."
    ),
    "MemberController.end_membership": (
        "Ends the member's membership in this cell on a date with a reason (moved out, "
        "deceased, …); the member stays in the history. Send the version read."
    ),
    "MemberController.get_member": "One member, with status, card number and version.",
    "MemberController.member_history": (
        "Every change of the member (created, transferred, ended, …), dated, with its reason "
        "and who recorded it."
    ),
    "MemberController.transfer_member": (
        "Moves the member to another cell within the caller's reach from a date; the "
        "receiving unit must be an open cell. Send the version read."
    ),
    "CourseController.enrol": (
        "Enrols a candidate whose course-nominee list was accepted by the committee above."
    ),
    "CourseController.update_course": (
        "Changes a course's title, dates, number of sessions or state; send the version read."
    ),
    "CourseController.get_course": "One course with its enrolments and their attendance.",
    "CourseController.issue_certificate": (
        "Issues the course certificate to an enrolment that completed the course; the "
        "candidate's stage becomes certified. Send the enrolment's version."
    ),
    "CourseController.open_course": (
        "Opens a Party awareness course organised by a district-level committee (an approver "
        "of that committee)."
    ),
    "CourseController.list_courses": "Courses organised by the caller's units, newest first.",
    "CourseController.update_enrolment": (
        "Records sessions attended and completion for one enrolment; completion needs the "
        "attendance the rules ask for. Send the version read."
    ),
    "CertificateController.expired": (
        "Certified candidates whose certificate the province's rules find expired on the date "
        "given (today by default), in the caller's units."
    ),
    "HelperController.assign": (
        "Assigns an official Party member to help a certified candidate, by a resolution of "
        "the cell (numbers of members present and agreeing). The candidate becomes an "
        "admission source."
    ),
    "HelperController.end": "Ends a helper assignment on a date, with the reason.",
    "AdmissionController.decide": (
        "Records the candidate's admission, or takes the candidate off the lists, with a "
        "reason; the stage machine and the rules decide whether the change is allowed "
        "(409 `stage_refused` with the reasons otherwise)."
    ),
    "AdmissionController.helpers_of": "The candidate's helper assignments, current and past.",
    "AdmissionController.history": "Every stage change of the candidate: dated, why and by whom.",
    "AdmissionController.propose": (
        "Starts the admission procedure for the candidate if the rules find the candidate "
        "ready (helpers, introducers, certificate); the answer gives the rules' reasons."
    ),
    "PlanController.get_plan": "A unit's admission targets for a year and its quarters.",
    "PlanController.put_plan": (
        "Sets a unit's targets for a year and each quarter; `version` 0 creates the plan, "
        "otherwise send the version read."
    ),
    "PlanController.progress": (
        "Admissions of the unit's subtree against its targets, for the year and each quarter, "
        "as of a date (today by default)."
    ),
    "ListController.accept_list": (
        "The receiving unit accepts a submitted list into its own list, with a comment."
    ),
    "ListController.adopt_list": (
        "The unit adopts its draft list by a resolution (number, date, members present and "
        "agreeing); an adopted list can be submitted."
    ),
    "ListController.change_list": (
        "Adds people to a draft list (with a justification when the rules did not find "
        "them eligible) and removes others with a reason. Send the version read."
    ),
    "ListController.get_list": (
        "A list with its people and the rules' evaluation of each, those the rules refused "
        "with their reasons, and its history."
    ),
    "ListController.create_list": (
        "Creates a unit's list for a step and a review period, prefilled with the people the "
        "province's rules find eligible."
    ),
    "ListController.search_lists": "Lists of the caller's units, filtered by step, period, state.",
    "ListController.export_list": (
        "The list as a document to print or to file, in a format a renderer plugin offers "
        "(`xlsx` by default, `csv`, …), with the document number and signer given. A list "
        "of more people than are exported within a request (500 by default, "
        "`NGUON_EXPORT_JOB_ABOVE`) answers 409 `export_by_job`: ask for it with "
        "`POST /lists/{list_id}/exports`."
    ),
    "ListController.request_export": (
        "Makes the list's document in the background, for any list (required above the "
        "limit of `GET …/export`): answered 202 with a job whose `url` reports progress; "
        "when it is `done`, its `file_url` gives the file. Only the caller downloads it, "
        "for 7 days. Needs the right to read the list; audited."
    ),
    "download_export": (
        "The file a background export made (`file_url` of its finished job). Only the user "
        "who asked for it gets it; anyone else, another tenant or a file older than 7 days "
        "is 404."
    ),
    "ListController.inbox": "Lists submitted to the caller's own units, awaiting acceptance.",
    "ListController.refresh_list": (
        "Applies the province's rules again to a draft list: people who became eligible "
        "are added, evaluations are updated."
    ),
    "ListController.return_list": (
        "The receiving unit returns a submitted list to its unit with a comment saying what "
        "to change."
    ),
    "ListController.submit_list": (
        "Submits an adopted list to the next unit of the reporting chain."
    ),
    "list_periods": (
        "The review periods of a year from the province's calendar: the annual survey and the "
        "quarterly supplements, with their opening dates and deadlines."
    ),
    "PluginAdminController.put_plugin": (
        "Switches a per-tenant plugin on or off for this tenant and sets its settings "
        "(tenant administrators)."
    ),
    "PluginAdminController.get_plugin": (
        "One plugin's switch and settings for this tenant; secrets are masked."
    ),
    "PluginAdminController.list_plugins": (
        "The per-tenant plugins installed, on or off here, with their settings (secrets masked)."
    ),
    "webhook_deliveries": (
        "The webhook delivery log of this tenant: each event sent, its status, attempts, last "
        "error and next attempt (tenant administrators)."
    ),
}

_RESOLUTION = {
    "number": "12-NQ/CB",
    "adopted_on": "2026-03-10",
    "members_total": 15,
    "members_present": 13,
    "members_agreeing": 13,
}
BODY_EXAMPLES: dict[str, Any] = {
    "TokenRequest": {"username": "chibo.xuanthuy", "password": "mật-khẩu-dài-và-riêng"},
    "CandidateCreate": {
        "unit_id": 42,
        "full_name": "Nguyễn Thị Lan",
        "date_of_birth": "2001-05-14",
        "sex": "female",
        "education": "university",
        "home_town": "Xã Xuân Thủy, tỉnh Hưng Yên",
        "occupation": "Giáo viên",
        "youth_union_member": True,
        "national_id": "034201001234",
    },
    "CandidateUpdate": {"version": 3, "occupation": "Kế toán", "residence": "Thôn Đông"},
    "MemberCreate": {
        "unit_id": 42,
        "full_name": "Trần Văn Hùng",
        "date_of_birth": "1978-09-02",
        "sex": "male",
        "admitted_on": "2005-02-03",
        "status": "full",
        "official_on": "2006-02-03",
        "card_number": "08123456",
    },
    "MemberEnd": {"version": 2, "on": "2026-04-30", "reason": "moved_out", "note": ""},
    "MemberTransfer": {
        "version": 2,
        "to_unit_id": 57,
        "on": "2026-05-01",
        "reason": "Chuyển nơi cư trú",
    },
    "EnrolmentCreate": {"candidate_id": 1001},
    "CourseUpdate": {"version": 1, "sessions_total": 6, "closes_on": "2026-06-20"},
    "CertificateIssue": {"version": 4, "number": "125/GCN-TTCT", "date": "2026-06-25"},
    "CourseCreate": {
        "organiser_unit_id": 7,
        "title": "Lớp bồi dưỡng nhận thức về Đảng khóa 2/2026",
        "opens_on": "2026-06-01",
        "closes_on": "2026-06-15",
        "sessions_total": 6,
    },
    "EnrolmentUpdate": {"version": 2, "attended_sessions": 6, "completed": True},
    "HelperAssign": {
        "candidate_id": 1001,
        "member_id": 311,
        "candidate_version": 5,
        "resolution": _RESOLUTION,
    },
    "HelperEnd": {"ended_on": "2026-09-30", "reason": "Người giúp đỡ chuyển sinh hoạt"},
    "StageDecision": {
        "version": 7,
        "to_stage": "admitted",
        "reason": "Quyết định kết nạp số 45-QĐ/HU",
        "on": "2026-10-15",
    },
    "ProposeAdmission": {
        "version": 6,
        "introducer_member_ids": [311, 312],
        "on": "2026-09-01",
        "note": "",
    },
    "PlanIn": {
        "version": 0,
        "targets": {"year": 40, "q1": 8, "q2": 10, "q3": 10, "q4": 12},
    },
    "AcceptBody": {"version": 3, "comment": "Đã kiểm tra, đủ hồ sơ."},
    "ExportRequest": {"format": "xlsx", "number": "07", "signer": "Phạm Văn Đức"},
    "AdoptBody": {"version": 2, "resolution": _RESOLUTION},
    "ListChange": {
        "version": 1,
        "add": [
            {"candidate_id": 1001},
            {"candidate_id": 1002, "override_justification": "Đã bổ sung lý lịch"},
        ],
        "remove": [{"candidate_id": 1003, "reason": "Chuyển đi nơi khác"}],
    },
    "ListCreate": {"unit_id": 42, "step": "survey", "period": "2026-annual"},
    "SubmitBody": {"version": 2},
    "ReturnBody": {"comment": "Bổ sung lý lịch của người thứ 3.", "version": 4},
    "PluginSettingIn": {
        "enabled": True,
        "config": {
            "endpoints": [
                {
                    "url": "https://hethong.tinh.gov.vn/nguon-webhook",
                    "secret": "một-bí-mật-dài-ít-nhất-16-ký-tự",
                    "events": ["list.submitted"],
                }
            ]
        },
    },
    "UserCreate": {
        "username": "bithu.thon3",
        "full_name": "Phạm Văn Hùng",
        "unit_id": 42,
        "role": "editor",
    },
    "MembershipIn": {"unit_id": 42, "role": "approver"},
    "PasswordChange": {
        "current_password": "mật-khẩu-một-lần-đã-nhận",
        "new_password": "mật-khẩu-mới-dài-và-riêng",
    },
    "TestEventIn": {"url": "https://tiep-nhan.hungyen.example.vn/nguon"},
    "RoadStepIn": {
        "version": 7,
        "step": "grassroots_resolution",
        "taken_on": "2026-11-20",
        "document_number": "45-NQ/ĐU",
        "note": "Đảng ủy xã đồng ý đề nghị kết nạp",
    },
}
"""By the request body Struct's name; each one decodes into its Struct (a test checks)."""
