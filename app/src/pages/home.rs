use leptos::prelude::*;
use leptos_meta::Title;

use crate::preferences::PreferencesState;

/// `/`: what the template is, a greeting for a saved display name, and a counter that only
/// counts once the wasm bundle has hydrated the page.
#[component]
pub fn HomePage() -> impl IntoView {
    let state = PreferencesState::expect();
    let count = RwSignal::new(0);

    view! {
        <Title text="Home · Leptos on Lambda" />
        <h1>"Leptos SSR on AWS Lambda, behind an ALB"</h1>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                state.current().await.display_name.map(|name| {
                    view! { <p id="greeting">"Welcome back, " {name} "!"</p> }
                })
            })}
        </Suspense>
        <p>
            "Every request travels Route53 → Application Load Balancer → this Lambda function, "
            "which renders the page with Leptos and answers in the ALB's JSON format."
        </p>
        <button id="counter" on:click=move |_| *count.write() += 1>
            "Clicked " <span id="count">{count}</span> " times"
        </button>
    }
}
