use leptos::prelude::*;
use leptos_meta::Title;

use crate::preferences::{PreferencesState, Theme};

/// `/preferences`: an `ActionForm` that saves theme and display name as two cookies. Without
/// JavaScript the POST answers with a redirect back here; with it the page updates in place.
#[component]
pub fn PreferencesPage() -> impl IntoView {
    let state = PreferencesState::expect();

    view! {
        <Title text="Preferences · Leptos on Lambda" />
        <h1>"Preferences"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                let current = state.current().await;
                let display_name = current.display_name.clone().unwrap_or_default();
                let shown_name = current.display_name.unwrap_or_else(|| "(none)".to_string());
                view! {
                    <ActionForm action=state.save>
                        <fieldset>
                            <legend>"Theme"</legend>
                            {[Theme::Light, Theme::Dark]
                                .into_iter()
                                .map(|theme| {
                                    view! {
                                        <label>
                                            <input
                                                type="radio"
                                                name="theme"
                                                value=theme.as_str()
                                                checked=theme == current.theme
                                            />
                                            {theme.label()}
                                        </label>
                                    }
                                })
                                .collect_view()}
                        </fieldset>
                        <label>
                            "Display name "
                            <input
                                type="text"
                                name="display_name"
                                maxlength="40"
                                value=display_name
                            />
                        </label>
                        <button type="submit">"Save"</button>
                    </ActionForm>
                    <p id="current">
                        "Theme: " {current.theme.as_str()} ", display name: "
                        {shown_name}
                    </p>
                }
            })}
        </Suspense>
        {move || {
            state
                .save
                .value()
                .get()
                .and_then(Result::err)
                .map(|error| view! { <p class="error">{error.to_string()}</p> })
        }}
    }
}
