//! Islands: the only components that run in the browser.
//!
//! The site renders in Leptos' islands mode. Every page is server-rendered HTML; only the
//! components here are compiled into the wasm bundle and hydrated, each where it appears. That
//! keeps the bundle small enough to serve from the function itself (no CDN behind an ALB) and
//! the pages usable before, or without, any wasm.
//!
//! - [`Counter`]: proves hydration on the home page.
//! - [`PreferencesForm`]: saves the preferences without a reload.

mod counter;
mod preferences_form;

pub use counter::Counter;
pub use preferences_form::PreferencesForm;
