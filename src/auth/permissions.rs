//! Who may do what: the role → capability matrix (docs/domain.md), in one table.
//! Every route declares the [`Access`] it needs (see `router.rs`); a test walks every route for
//! every role and checks it against this matrix.

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Planner,
    Compiler,
    Commune,
    Partner,
    Leader,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Admin,
        Role::Planner,
        Role::Compiler,
        Role::Commune,
        Role::Partner,
        Role::Leader,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::Compiler => "compiler",
            Role::Commune => "commune",
            Role::Partner => "partner",
            Role::Leader => "leader",
        }
    }

    pub fn parse(code: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.code() == code)
    }

    pub fn can(self, cap: Capability) -> bool {
        use Capability::*;
        use Role::*;
        match cap {
            // Reading the plan, the activities and the org-unit tree is part of everyone's work.
            ViewPlans | ViewOrgUnits | ViewActivities => true,
            // Planners schedule for their units, communes for themselves, partners what their
            // agency organises (the object-level rule is in `activities::access`).
            WriteActivities => matches!(self, Planner | Commune | Partner),
            ViewTasks => true,
            // The dashboard shows aggregates of what each role may already list in its scope.
            ViewDashboard => true,
            // Requesting agencies open tasks; partners answer them (object rules in `tasks::access`).
            WriteTasks => matches!(self, Planner | Compiler | Commune),
            ActOnTasks => matches!(self, Planner | Compiler | Commune | Partner),
            // Reports go to everyone (a partner agency reads only its own, when a period asks it
            // to answer: the object rule is in `reports::views::access`); communes and partner
            // agencies write theirs; the compiling office opens periods, reviews and composes;
            // leaders approve the report to the level above.
            ViewReports => true,
            EditReports => matches!(self, Commune | Compiler | Partner),
            ManageReporting => matches!(self, Compiler),
            ApproveReports => matches!(self, Leader),
            // Planners write the plans of their unit and below; a commune writes its own.
            EditPlans => matches!(self, Planner | Commune),
            IssuePlans => matches!(self, Leader),
            ManageUsers | ManageAgencies | ManageCodes | ManageOrgUnits | ManageOutbox => {
                matches!(self, Admin)
            }
            // The audit log: administrators all of it, leaders what happened in their scope
            // (the rule is in `admin::audit`).
            ViewAudit => matches!(self, Admin | Leader),
            // Victim-support figures, small cells hidden: everyone whose work uses them. The
            // administrator runs the system and has no need to read victim figures at all.
            ViewStats => !matches!(self, Admin),
            // The commune enters its own figures, the compiling office any unit's in scope.
            EnterStats => matches!(self, Compiler | Commune),
            // Exact small counts, and reopening a month whose report was approved: only the
            // compiling office (docs/privacy.md).
            SensitiveStats | ReopenStats => matches!(self, Compiler),
            // Bulk onboarding: the administrator anywhere, a province's compiling office within
            // its province (the scope rule is in `rollout::scope`).
            RollOut => matches!(self, Admin | Compiler),
        }
    }
}

/// Something a role may or may not do.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Capability {
    ViewPlans,
    EditPlans,
    IssuePlans,
    ViewOrgUnits,
    ViewActivities,
    WriteActivities,
    ViewTasks,
    ViewDashboard,
    WriteTasks,
    ActOnTasks,
    ViewReports,
    EditReports,
    ManageReporting,
    ApproveReports,
    ManageUsers,
    ManageAgencies,
    ManageCodes,
    ManageOrgUnits,
    /// See the email outbox and put failed emails back in the queue.
    ManageOutbox,
    /// Read the audit log (`/admin/audit`) and export it.
    ViewAudit,
    /// Read victim-support statistics, with small cells suppressed.
    ViewStats,
    /// Enter a month's victim-support statistics.
    EnterStats,
    /// See victim-support statistics exactly, small cells included.
    SensitiveStats,
    /// Reopen a month locked by an approved report.
    ReopenStats,
    /// Onboard units and people in bulk and follow the rollout (`/rollout/…`).
    RollOut,
}

/// The access rule of one route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health check, static files).
    Public,
    /// Any signed-in user, whatever the role.
    SignedIn,
    /// Signed-in users whose role has the capability.
    Can(Capability),
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Can(cap), Some(role)) => role.can(cap),
        }
    }
}
