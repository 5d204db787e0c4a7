//! sea-orm entities, one per table, mirroring the migrations. Behaviour lives in the domain
//! modules, not here.

pub mod activity;
pub mod activity_budget;
pub mod activity_date_change;
pub mod activity_material;
pub mod activity_series;
pub mod activity_target_group;
pub mod agency;
pub mod api_token;
pub mod audit_event;
pub mod code;
pub mod coordination_task;
pub mod evidence_file;
pub mod ics_token;
pub mod login_attempt;
pub mod org_lineage;
pub mod org_unit;
pub mod outbox_email;
pub mod plan;
pub mod plan_amendment;
pub mod plan_budget;
pub mod plan_item;
pub mod plan_item_agency;
pub mod plan_legal_basis;
pub mod plan_target;
pub mod report;
pub mod reporting_period;
pub mod session;
pub mod support_stat_month;
pub mod support_stat_received;
pub mod support_stat_referral;
pub mod support_stat_support;
pub mod task_activity;
pub mod task_comment;
pub mod task_outcome;
pub mod user;
