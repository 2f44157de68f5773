//! The end of a salvage job in the inspector: a one-line summary in the
//! status line and the whole report in the jobs view (`S` starts it).

use super::app::App;
use super::app::Level;
use crate::salvage::SalvageReport;

impl App {
    /// Shows what a finished salvage job did.
    pub(super) fn salvage_finished(&mut self, result: &Result<SalvageReport, String>) {
        match result {
            Ok(report) => {
                let mut text = Vec::new();
                let _ = report.write_text(&mut text);
                let summary = match (&report.output, report.cancelled) {
                    (_, true) => "salvage cancelled: nothing was written".to_string(),
                    (Some(out), false) => format!(
                        "salvage wrote {}: {} rows kept, {} lost{}",
                        crate::sanitize::one_line(&out.path),
                        report.tables.iter().map(|t| t.rows_kept).sum::<u64>(),
                        report.rows_lost(),
                        if report.tables.iter().all(|t| t.rows_lost_exact) { "" } else { " (at least)" }
                    ),
                    (None, false) => "salvage wrote nothing".to_string(),
                };
                let level = if report.is_clean() { Level::Info } else { Level::Error };
                self.notify(summary, level);
                if let Some(out) = &report.output {
                    let (txt, json) = super::outputs::salvage_report_paths(std::path::Path::new(&out.path));
                    let saved =
                        format!("Report saved to {}\n            and {}\n", txt.display(), json.display());
                    text.extend_from_slice(saved.as_bytes());
                }
                self.jobs.repair_text = Some(String::from_utf8_lossy(&text).into_owned());
            }
            Err(e) => {
                let text = format!("salvage failed: {e}");
                self.jobs.repair_text = Some(text.clone());
                self.notify(text, Level::Error);
            }
        }
    }
}
