//! Checks printed one per line as they pass; the first that fails stops the run with what was
//! expected and what was seen. The last line, `N checks passed`, is what the rehearsal counts.

use std::fmt::Display;
use std::io::Write;

use serde::Serialize;

/// The checks of one command, printed to `out`.
pub struct Report<'w> {
    out: &'w mut dyn Write,
    passed: usize,
}

impl<'w> Report<'w> {
    /// A report printing to `out`.
    pub fn new(out: &'w mut dyn Write) -> Self {
        Self { out, passed: 0 }
    }

    /// Passes and prints `what` when `condition` holds; otherwise fails with `seen` as JSON.
    pub fn check(
        &mut self,
        condition: bool,
        what: impl Display,
        seen: impl Serialize,
    ) -> Result<(), String> {
        if !condition {
            let seen = serde_json::to_string(&seen).unwrap_or_else(|error| error.to_string());
            return Err(format!("check failed: {what}\n          seen: {seen}"));
        }
        self.passed += 1;
        self.line(&format!("    ok    {what}"))
    }

    /// A line that is not a check (a heading, a note about the emulator).
    pub fn line(&mut self, text: &str) -> Result<(), String> {
        writeln!(self.out, "{text}").map_err(|error| format!("cannot write: {error}"))
    }

    /// How many checks passed so far.
    pub fn passed(&self) -> usize {
        self.passed
    }

    /// Prints the closing `N checks passed`.
    pub fn finish(mut self) -> Result<(), String> {
        let passed = self.passed;
        self.line(&format!("{passed} checks passed"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_are_printed_and_counted_and_a_failure_shows_what_was_seen() {
        let mut out = Vec::new();
        let mut report = Report::new(&mut out);
        report.check(true, "one", ()).unwrap();
        let failure = report.check(false, "two", ("a", 1)).unwrap_err();
        assert_eq!(report.passed(), 1);
        report.finish().unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "    ok    one\n1 checks passed\n"
        );
        assert!(
            failure.contains("two") && failure.contains(r#"["a",1]"#),
            "{failure}"
        );
    }
}
