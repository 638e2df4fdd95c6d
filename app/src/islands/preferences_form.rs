use leptos::prelude::*;

use crate::preferences::{Preferences, SavePreferences, current_preferences};

/// The preferences form: an `ActionForm` on `POST /api/preferences` around the fields in
/// `children` (server-rendered, never hydrated), and the saved values below it.
///
/// Without JavaScript the form posts and the server redirects back. Once hydrated it saves
/// with `fetch`, then shows what the cookies hold *now* (asked from the server, not echoed from
/// the form: in ALB's single-value header mode only one of the two cookies arrives) and
/// updates `<html data-theme>` in place. `data-enhanced` marks the form once hydrated.
#[island]
pub fn PreferencesForm(
    /// The preferences the request's cookies carried.
    saved: Preferences,
    /// The form's fields.
    children: Children,
) -> impl IntoView {
    let save = ServerAction::<SavePreferences>::new();
    let current = RwSignal::new(saved);
    let enhanced = RwSignal::new(false);

    // Effects run only in the browser, after hydration.
    Effect::new(move |_| enhanced.set(true));
    Effect::new(move |_| {
        if save.version().get() > 0 {
            leptos::task::spawn_local(async move {
                if let Ok(preferences) = current_preferences().await {
                    current.set(preferences);
                }
            });
        }
    });
    Effect::new(move |_| {
        let theme = current.with(|preferences| preferences.theme);
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-theme", theme.as_str());
        }
    });

    view! {
        <div id="preferences" data-enhanced=move || enhanced.get().then_some("true")>
            <ActionForm action=save>{children()}</ActionForm>
            <p id="current">
                "Theme: " {move || current.with(|preferences| preferences.theme.as_str())}
                ", display name: "
                {move || {
                    current
                        .with(|preferences| {
                            preferences.display_name.clone().unwrap_or_else(|| "(none)".into())
                        })
                }}
            </p>
            {move || {
                save.value()
                    .get()
                    .and_then(Result::err)
                    .map(|error| view! { <p class="error">{error.to_string()}</p> })
            }}
        </div>
    }
}
