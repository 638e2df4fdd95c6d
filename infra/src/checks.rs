//! What a deploy checks in the account before it changes anything, as pure decisions over what
//! the AWS CLI reported: whether the certificate's names cover the stage's host names, whether
//! they lie inside the hosted zone, and whether the DNS records the stack is about to create are
//! free. The scripts fetch; these decide (`infra check-*`).

/// A DNS name as compared: without case and without the trailing dot of a fully qualified name.
fn normalized(name: &str) -> String {
    name.trim().trim_end_matches('.').to_ascii_lowercase()
}

/// Whether one certificate name (`shop.example.org`, or a wildcard `*.example.org`) covers
/// `domain`. A wildcard stands for exactly one label: `*.example.org` covers
/// `shop.example.org`, but neither `example.org` nor `a.shop.example.org`.
pub fn name_covers(certificate_name: &str, domain: &str) -> bool {
    let (name, domain) = (normalized(certificate_name), normalized(domain));
    if domain.is_empty() {
        return false;
    }
    match name.strip_prefix("*.") {
        Some(parent) => domain
            .split_once('.')
            .is_some_and(|(label, rest)| !label.is_empty() && rest == parent),
        None => name == domain,
    }
}

/// The certificate names as the AWS CLI prints them (`DomainName` and the subject alternative
/// names, separated by commas, tabs or spaces), without empty entries, the CLI's `None`, or
/// a name said twice (the `DomainName` is usually among the alternative names too).
pub fn certificate_names(listed: &str) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for name in listed.split([',', ' ', '\t', '\n']) {
        if !name.is_empty() && name != "None" && !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Whether any of the certificate's names covers `domain`.
pub fn certificate_covers(listed_names: &str, domain: &str) -> bool {
    certificate_names(listed_names)
        .iter()
        .any(|name| name_covers(name, domain))
}

/// Ok when one of the certificate's names covers `domain`, else why not, for the deploy's
/// message.
pub fn check_certificate(listed_names: &str, domain: &str) -> Result<(), String> {
    if certificate_covers(listed_names, domain) {
        return Ok(());
    }
    let names = match certificate_names(listed_names).join(", ") {
        listed if listed.is_empty() => "no names at all".to_string(),
        listed => listed,
    };
    Err(format!(
        "the certificate is for {names}, which does not cover {domain} (a `*.` wildcard covers \
         one label: *.example.org covers shop.example.org, not example.org)"
    ))
}

/// Ok when `domain` lies in the hosted zone, else why not.
pub fn check_zone(zone_name: &str, domain: &str) -> Result<(), String> {
    if zone_contains(zone_name, domain) {
        Ok(())
    } else {
        Err(format!(
            "domain {domain} is not inside the hosted zone {zone_name}"
        ))
    }
}

/// Ok when the stack may create its `record_types` for `hostname`: the stack already owns a
/// record of that name (`owned`: its record sets' physical ids), or no record of a clashing type
/// is there (`existing`: the types listed for the name, e.g. `A AAAA`). Else why not: a
/// CloudFormation stack cannot take over a record it did not create, and would fail half-way.
pub fn check_records(
    hostname: &str,
    record_types: &[&str],
    existing: &str,
    owned: &str,
) -> Result<(), String> {
    let listed = |text: &str| -> Vec<String> {
        certificate_names(text)
            .into_iter()
            .map(normalized)
            .collect()
    };
    if listed(owned).contains(&normalized(hostname)) {
        return Ok(());
    }
    // A CNAME clashes with any record of its name; A and AAAA with their own type.
    let clashing: Vec<String> = listed(existing)
        .into_iter()
        .map(|record_type| record_type.to_ascii_uppercase())
        .filter(|record_type| {
            record_type == "CNAME" || record_types.contains(&record_type.as_str())
        })
        .collect();
    if clashing.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{hostname} already has a DNS record of type {} that this stack did not create (the old CloudFront \
         or API Gateway setup's, or one made by hand); CloudFormation cannot take it over. Either \
         keep temporary_hostname and point {hostname} at the load balancer in one Route 53 change \
         yourself, or delete that record and deploy again (the name does not resolve in between)",
        clashing.join(" and ")
    ))
}

/// Whether `domain` is the zone's own name or a name inside it (`shop.example.org` is in
/// `example.org.`; `badexample.org` is not).
pub fn zone_contains(zone_name: &str, domain: &str) -> bool {
    let (zone, domain) = (normalized(zone_name), normalized(domain));
    !zone.is_empty()
        && (domain == zone
            || domain
                .strip_suffix(&zone)
                .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_exact_name_covers_only_itself() {
        assert!(name_covers("shop.example.org", "shop.example.org"));
        assert!(name_covers("Shop.Example.org.", "shop.example.ORG"));
        assert!(!name_covers("shop.example.org", "example.org"));
        assert!(!name_covers("shop.example.org", "www.shop.example.org"));
        assert!(!name_covers("", ""));
    }

    #[test]
    fn a_wildcard_covers_exactly_one_label() {
        assert!(name_covers("*.example.org", "shop.example.org"));
        assert!(name_covers("*.example.org", "MIGRATE.example.org."));
        assert!(!name_covers("*.example.org", "example.org"));
        assert!(!name_covers("*.example.org", "a.shop.example.org"));
        assert!(!name_covers("*.example.org", ".example.org"));
        assert!(!name_covers("*.example.org", "shop.example.com"));
        assert!(!name_covers("*.example.org", "shopexample.org"));
        // Only a leading `*.` is a wildcard.
        assert!(!name_covers("shop.*.org", "shop.example.org"));
    }

    #[test]
    fn any_listed_name_may_cover_the_domain() {
        let listed = "example.org\t*.example.org,www.example.org";
        assert_eq!(
            certificate_names(listed),
            ["example.org", "*.example.org", "www.example.org"]
        );
        assert!(certificate_covers(listed, "example.org"));
        assert!(certificate_covers(listed, "migrate.example.org"));
        assert!(!certificate_covers(listed, "a.b.example.org"));
        assert!(!certificate_covers("other.org None", "example.org"));
        assert!(certificate_names("None").is_empty());
        assert_eq!(
            certificate_names("a.org,a.org\tb.org a.org"),
            ["a.org", "b.org"]
        );
    }

    #[test]
    fn a_record_is_only_refused_when_it_is_there_and_not_the_stacks() {
        let a = ["A"];
        assert_eq!(check_records("example.org", &a, "", ""), Ok(()));
        assert_eq!(
            check_records("example.org", &a, "MX TXT NS SOA", ""),
            Ok(())
        );
        assert_eq!(check_records("example.org", &a, "AAAA", ""), Ok(()));
        assert_eq!(
            check_records("Example.org.", &a, "A", "other.org example.org"),
            Ok(())
        );
        let refused = check_records("example.org", &a, "A\tMX", "other.org").unwrap_err();
        assert!(
            refused.starts_with("example.org already has a DNS record of type A that"),
            "{refused}"
        );
        let both = check_records("example.org", &["A", "AAAA"], "a aaaa", "None").unwrap_err();
        assert!(both.contains("of type A and AAAA that"), "{both}");
        assert!(check_records("example.org", &a, "CNAME", "").is_err());
    }

    #[test]
    fn a_zone_holds_its_apex_and_the_names_below_it() {
        assert!(zone_contains("example.org.", "example.org"));
        assert!(zone_contains("example.org", "shop.example.org"));
        assert!(zone_contains("Example.org.", "a.b.example.ORG"));
        assert!(!zone_contains("example.org.", "badexample.org"));
        assert!(!zone_contains("shop.example.org", "example.org"));
        assert!(!zone_contains("example.org", ".example.org"));
        assert!(!zone_contains("", "example.org"));
    }
}
