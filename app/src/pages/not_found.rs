use leptos::prelude::*;
use leptos_meta::Title;

/// Any unknown path: the not-found page, with status 404 on the server.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(http::StatusCode::NOT_FOUND);
    }

    view! {
        <Title text="Not found · Leptos on Lambda" />
        <h1>"Page not found"</h1>
        <p>"There is nothing at this address. " <a href="/">"Go home"</a></p>
    }
}
