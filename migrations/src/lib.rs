//! Database migrations: one change per file, never edit one that has been applied.
//! They run unchanged on SQLite and PostgreSQL.

pub use sea_orm_migration::prelude::*;

mod m20261129_000001_foundation;
mod m20261129_000002_plan_amendments;
mod m20261129_000003_activities;
mod m20261129_000004_coordination_tasks;
mod m20261129_000005_support_stats;
mod m20261129_000006_dashboard_indexes;
mod m20261129_000007_reports;
mod m20261129_000008_outbox;
mod m20261130_000001_ics_token_hint;
mod m20261201_000001_email_preferences;
mod m20261201_000002_imports;
mod m20261201_000003_partner_reports;
mod m20261202_000001_activity_span;
mod m20261203_000001_dashboard_rollups;
mod m20261204_000001_country_rollups;
mod m20261205_000001_coverage_years;
mod m20261206_000001_area_kinds;
mod m20261206_000001_offline_idempotency_keys;
mod m20261206_000002_district_budget;
mod m20261210_000001_rollout;
pub mod m20261211_000001_search_names;
pub mod rollups;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261129_000001_foundation::Migration),
            Box::new(m20261129_000002_plan_amendments::Migration),
            Box::new(m20261129_000003_activities::Migration),
            Box::new(m20261129_000004_coordination_tasks::Migration),
            Box::new(m20261130_000001_ics_token_hint::Migration),
            Box::new(m20261129_000007_reports::Migration),
            Box::new(m20261129_000005_support_stats::Migration),
            Box::new(m20261129_000008_outbox::Migration),
            Box::new(m20261129_000006_dashboard_indexes::Migration),
            Box::new(m20261201_000001_email_preferences::Migration),
            Box::new(m20261201_000003_partner_reports::Migration),
            Box::new(m20261202_000001_activity_span::Migration),
            Box::new(m20261201_000002_imports::Migration),
            Box::new(m20261203_000001_dashboard_rollups::Migration),
            Box::new(m20261204_000001_country_rollups::Migration),
            Box::new(m20261205_000001_coverage_years::Migration),
            Box::new(m20261206_000001_area_kinds::Migration),
            Box::new(m20261206_000002_district_budget::Migration),
            Box::new(m20261206_000001_offline_idempotency_keys::Migration),
            Box::new(m20261210_000001_rollout::Migration),
            Box::new(m20261211_000001_search_names::Migration),
        ]
    }
}

/// Shared column helpers, so that every table gets the same id and timestamp columns.
pub(crate) mod cols {
    use sea_orm_migration::prelude::*;
    use sea_orm_migration::schema::*;

    /// A table or column name.
    pub fn a(name: &str) -> Alias {
        Alias::new(name)
    }

    pub fn id() -> ColumnDef {
        big_pk_auto(Alias::new("id"))
    }

    /// A foreign key column (bigint) that must be set.
    pub fn fk(name: &str) -> ColumnDef {
        big_integer(Alias::new(name))
    }

    pub fn fk_null(name: &str) -> ColumnDef {
        big_integer_null(Alias::new(name))
    }

    pub fn created_at() -> ColumnDef {
        timestamp_with_time_zone(Alias::new("created_at"))
    }

    pub fn updated_at() -> ColumnDef {
        timestamp_with_time_zone(Alias::new("updated_at"))
    }

    pub fn foreign(from_table: &str, col: &str, to_table: &str) -> ForeignKeyCreateStatement {
        ForeignKey::create()
            .name(format!("fk_{from_table}_{col}"))
            .from(Alias::new(from_table), Alias::new(col))
            .to(Alias::new(to_table), Alias::new("id"))
            .on_delete(ForeignKeyAction::Restrict)
            .to_owned()
    }

    pub fn foreign_cascade(
        from_table: &str,
        col: &str,
        to_table: &str,
    ) -> ForeignKeyCreateStatement {
        let mut fk = foreign(from_table, col, to_table);
        fk.on_delete(ForeignKeyAction::Cascade);
        fk
    }

    pub fn index(table: &str, columns: &[&str]) -> IndexCreateStatement {
        let mut idx = Index::create();
        idx.name(format!("ix_{table}_{}", columns.join("_")))
            .table(Alias::new(table));
        for c in columns {
            idx.col(Alias::new(*c));
        }
        idx.to_owned()
    }

    pub fn unique(table: &str, columns: &[&str]) -> IndexCreateStatement {
        let mut idx = index(table, columns);
        idx.name(format!("ux_{table}_{}", columns.join("_")))
            .unique();
        idx
    }
}
