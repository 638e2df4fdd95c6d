use leptos::prelude::*;

/// A button that counts its clicks; it only counts once the wasm bundle has hydrated it.
#[island]
pub fn Counter() -> impl IntoView {
    let count = RwSignal::new(0);

    view! {
        <button id="counter" on:click=move |_| *count.write() += 1>
            "Clicked " <span id="count">{count}</span> " times"
        </button>
    }
}
