use leptos::prelude::*;
use leptos_meta::Title;

use crate::islands::Counter;
use crate::preferences::preferences_of_request;

/// `/`: what the template is, a greeting for a saved display name, and a counter that only
/// counts once the wasm bundle has hydrated it.
#[component]
pub fn HomePage() -> impl IntoView {
    let display_name = preferences_of_request().display_name;

    view! {
        <Title text="Home · Leptos on Lambda" />
        <h1>"Leptos SSR on AWS Lambda, behind an ALB"</h1>
        {display_name.map(|name| view! { <p id="greeting">"Welcome back, " {name} "!"</p> })}
        <p>
            "Every request travels Route53 → Application Load Balancer → this Lambda function, "
            "which renders the page with Leptos and answers in the ALB's JSON format."
        </p>
        <Counter />
    }
}
