use leptos::prelude::*;
use leptos_meta::Title;

use crate::islands::PreferencesForm;
use crate::preferences::{MAX_DISPLAY_NAME_CHARS, Preferences, Theme, preferences_of_request};

/// `/preferences`: the form that saves theme and display name as two cookies.
#[component]
pub fn PreferencesPage() -> impl IntoView {
    let saved = preferences_of_request();

    view! {
        <Title text="Preferences · Leptos on Lambda" />
        <h1>"Preferences"</h1>
        <PreferencesForm saved=saved.clone()>
            <PreferenceFields saved />
        </PreferencesForm>
    }
}

/// The form's fields, filled with the saved values; static HTML, so they stay out of the wasm.
#[component]
fn PreferenceFields(saved: Preferences) -> impl IntoView {
    view! {
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
                                checked=theme == saved.theme
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
                maxlength=MAX_DISPLAY_NAME_CHARS
                value=saved.display_name.unwrap_or_default()
            />
        </label>
        <button type="submit">"Save"</button>
    }
}
