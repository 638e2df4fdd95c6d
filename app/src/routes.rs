use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::{
    SsrMode, StaticSegment,
    components::{A, Route, Router, Routes},
};

use crate::pages::{HelloPage, HomePage, NotFoundPage, PreferencesPage};

/// The site: navigation and routes, rendered on the server only (the interactive parts are
/// [`crate::islands`]). Every route renders in `SsrMode::Async` so the HTML the ALB buffers
/// already holds resolved data, titles and meta tags.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();

    view! {
        <Title text="Leptos on Lambda behind an ALB" />
        <Router>
            <header>
                <nav>
                    <A href="/">"Home"</A>
                    <A href="/hello">"Hello"</A>
                    <A href="/preferences">"Preferences"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFoundPage>
                    <Route path=StaticSegment("") view=HomePage ssr=SsrMode::Async />
                    <Route path=StaticSegment("hello") view=HelloPage ssr=SsrMode::Async />
                    <Route
                        path=StaticSegment("preferences")
                        view=PreferencesPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}
