//! Reporting: periods and their unit reports (draft, submitted, returned, approved), the
//! completeness board, the report composer with its figures traced to the rows, and the exports
//! (DOCX in the official layout, XLSX annex, print view).

pub mod demo;
pub mod document;
pub mod export;
pub mod figures;
pub mod narrative;
pub mod phrases;
pub mod privacy;
pub mod service;
pub mod views;

#[cfg(test)]
mod props;
