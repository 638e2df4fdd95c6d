use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// `/hello`: a GET form; `?name=` is shown back form-decoded and HTML-escaped.
#[component]
pub fn HelloPage() -> impl IntoView {
    let query = use_query_map();
    let name = move || {
        query
            .read()
            .get("name")
            .unwrap_or_else(|| "world".to_string())
    };

    view! {
        <Title text="Hello · Leptos on Lambda" />
        <h1 id="hello">"Hello, " {name} "!"</h1>
        <form method="get" action="/hello">
            <label>"Your name " <input type="text" name="name" /></label>
            <button type="submit">"Greet me"</button>
        </form>
    }
}
