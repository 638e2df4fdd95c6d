//! The option parser of the command groups (`infra emulator …`, `infra releases …`): a
//! command, then `--name VALUE` or `--name=VALUE` options, each allowed only where the group's
//! table says, given once unless it may repeat.

use std::collections::BTreeMap;

/// What a command group accepts.
pub struct Group {
    /// The group's word on the command line (`emulator`, `releases`).
    pub name: &'static str,
    /// The group's help, appended to every usage error.
    pub usage: &'static str,
    /// Each command with the options it takes.
    pub commands: &'static [(&'static str, &'static [&'static str])],
    /// Options every command takes, but those in `bare`.
    pub common: &'static [&'static str],
    /// Commands that take none of the common options.
    pub bare: &'static [&'static str],
    /// Options that may be given more than once.
    pub repeated: &'static [&'static str],
}

/// A parsed group command line.
#[derive(Debug, PartialEq, Eq)]
pub struct Invocation {
    /// The group's word, for messages.
    pub group: &'static str,
    /// The command.
    pub command: String,
    /// Each option's values, by name without `--`.
    pub options: BTreeMap<String, Vec<String>>,
}

impl Invocation {
    /// The option's value, if given.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.options
            .get(name)
            .and_then(|values| values.first())
            .map(String::as_str)
    }

    /// The option's value, or an error naming it.
    pub fn required(&self, name: &str) -> Result<&str, String> {
        self.get(name)
            .ok_or_else(|| format!("{} {} needs --{name}", self.group, self.command))
    }

    /// Every value of a repeatable option.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.options.get(name).cloned().unwrap_or_default()
    }
}

/// Parses a group's arguments (those after the group's word).
pub fn parse(group: &Group, args: &[String]) -> Result<Invocation, String> {
    let usage = |message: String| format!("{message}\n\n{}", group.usage);
    let command = args
        .first()
        .ok_or_else(|| usage(format!("{} needs a command", group.name)))?;
    let allowed = group
        .commands
        .iter()
        .find(|(name, _)| name == command)
        .map(|(_, options)| *options)
        .ok_or_else(|| usage(format!("unknown {} command {command:?}", group.name)))?;
    let takes_common = !group.bare.contains(&command.as_str());
    let mut options: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut rest = args[1..].iter();
    while let Some(argument) = rest.next() {
        let (name, inline) = match argument.strip_prefix("--").map(|flag| flag.split_once('=')) {
            Some(Some((name, value))) => (name, Some(value.to_string())),
            Some(None) => (&argument[2..], None),
            None => return Err(usage(format!("unexpected argument {argument:?}"))),
        };
        let common = takes_common && group.common.contains(&name);
        if !common && !allowed.contains(&name) {
            return Err(usage(format!(
                "--{name} does not go with {} {command}",
                group.name
            )));
        }
        let value = match inline {
            Some(value) => value,
            None => rest
                .next()
                .cloned()
                .ok_or_else(|| usage(format!("--{name} needs a value")))?,
        };
        let values = options.entry(name.to_string()).or_default();
        if !values.is_empty() && !group.repeated.contains(&name) {
            return Err(usage(format!("--{name} is given twice")));
        }
        values.push(value);
    }
    Ok(Invocation {
        group: group.name,
        command: command.clone(),
        options,
    })
}
