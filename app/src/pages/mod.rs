//! One module per route.

mod hello;
mod home;
mod not_found;
mod preferences;

pub use hello::HelloPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
pub use preferences::PreferencesPage;
