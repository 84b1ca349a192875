// TOML configuration loader: walks the parsed document against the key table, applies
// overrides, then runs Config::validate() and names the offending key in every error.
#include "config_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <exception>
#include <map>

#include <toml++/toml.h>

#include "barrel_p2p/files.hpp"
#include "config_keys.hpp"

namespace barrel_p2p::cli {

namespace {

Unexpected refuse(std::string_view where, std::string_view key, std::string_view why) {
  return fail(Errc::invalid_argument,
              std::string(where) + ": " + std::string(key) + ": " + std::string(why));
}

std::string_view toml_type_name(toml::node_type type) {
  switch (type) {
    case toml::node_type::string: return "string";
    case toml::node_type::integer: return "integer";
    case toml::node_type::floating_point: return "floating-point number";
    case toml::node_type::boolean: return "boolean";
    case toml::node_type::table: return "table";
    case toml::node_type::array: return "array";
    case toml::node_type::date: return "date";
    case toml::node_type::time: return "time";
    case toml::node_type::date_time: return "date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string where_in(std::string_view origin, const toml::source_region& source) {
  return std::string(origin) + ":" + std::to_string(source.begin.line);
}

std::string keys_of_table(std::string_view table) {
  std::string out;
  for (const ConfigKey& key : config_keys()) {
    if (key.table != table) continue;
    out += (out.empty() ? "" : ", ") + std::string(key.name);
  }
  return out;
}

std::string known_tables() {
  std::string out;
  for (std::string_view table : config_tables()) {
    out += (out.empty() ? "" : ", ") + std::string(table);
  }
  return out;
}

/// Replaces whole-word occurrences of Config member names in a validate() message by the
/// dotted key names a file author knows.
std::string rename_fields(std::string message, const std::map<std::string, std::string>& origins) {
  for (const ConfigKey& key : config_keys()) {
    const std::string field(key.field);
    // cluster_secret has two keys: name the one that was set.
    const ConfigKey* named = &key;
    for (const ConfigKey& other : config_keys()) {
      if (other.field == key.field && origins.count(dotted_name(other))) named = &other;
    }
    std::size_t at = 0;
    while ((at = message.find(field, at)) != std::string::npos) {
      auto is_word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
      const std::size_t end = at + field.size();
      const bool whole = (at == 0 || !is_word(message[at - 1])) &&
                         (end == message.size() || !is_word(message[end]));
      if (!whole) {
        at = end;
        continue;
      }
      const std::string replacement = dotted_name(*named);
      message.replace(at, field.size(), replacement);
      at += replacement.size();
    }
  }
  return message;
}

/// Applies values one by one and remembers where each key was set, for later messages.
class ConfigBuilder {
 public:
  explicit ConfigBuilder(std::string_view origin) : origin_(origin) {}

  /// Checks and stores `value`. Errors: invalid_argument "<where>: <key>: <why>", or the
  /// setter's own error (e.g. io for cluster.secret_file) with the same prefix.
  Result<void> apply(const ConfigKey& key, const ConfigValue& value, const std::string& where) {
    const std::string name = dotted_name(key);
    if (auto checked = check_value(key, value); !checked) {
      return refuse(where, name, checked.error().message);
    }
    if (auto stored = key.access.set(config_, value); !stored) {
      return fail(stored.error().code, where + ": " + name + ": " + stored.error().message);
    }
    origins_[name] = where;
    return {};
  }

  /// Checks required and mutually exclusive keys, then Config::validate().
  Result<Config> finish() && {
    for (const ConfigKey& key : config_keys()) {
      const std::string name = dotted_name(key);
      if (key.required && !origins_.count(name)) {
        return refuse(origin_, name, "required key is missing");
      }
      const auto set_here = origins_.find(name);
      if (!key.excludes.empty() && set_here != origins_.end() &&
          origins_.count(std::string(key.excludes))) {
        return refuse(set_here->second, name,
                      "cannot be set together with " + std::string(key.excludes) + " (set at " +
                          origins_[std::string(key.excludes)] + ")");
      }
    }
    if (auto valid = config_.validate(); !valid) return renamed(valid.error().message);
    return std::move(config_);
  }

 private:
  /// "field: why" from validate() -> "<where>: table.key: why". When two keys set one field
  /// (cluster.secret and cluster.secret_file), the one that was set is named.
  Unexpected renamed(const std::string& message) const {
    const auto colon = message.find(": ");
    const std::string field = message.substr(0, colon);
    const std::string why = colon == std::string::npos ? message : message.substr(colon + 2);
    const ConfigKey* named = nullptr;
    for (const ConfigKey& key : config_keys()) {
      if (key.field != field) continue;
      if (!named || origins_.count(dotted_name(key))) named = &key;
    }
    if (!named)
      return fail(Errc::invalid_argument, origin_ + ": " + rename_fields(message, origins_));
    const std::string name = dotted_name(*named);
    const auto set_at = origins_.find(name);
    const std::string where =
        set_at != origins_.end() ? set_at->second : origin_ + " (default value)";
    return refuse(where, name, rename_fields(why, origins_));
  }

  std::string origin_;
  Config config_;
  std::map<std::string, std::string> origins_;  ///< "table.key" -> where it was last set
};

/// A TOML array of strings. Errors: invalid_argument naming the key (and the item's index).
Result<ConfigValue> list_value(const std::string& name, const toml::node& node,
                               std::string_view origin) {
  const auto* array = node.as_array();
  if (!array) {
    return refuse(where_in(origin, node.source()), name,
                  "expected an array of strings, got " + std::string(toml_type_name(node.type())));
  }
  std::vector<std::string> items;
  for (std::size_t i = 0; i < array->size(); ++i) {
    const auto* text = (*array)[i].as_string();
    if (!text) {
      return refuse(where_in(origin, (*array)[i].source()), name + "[" + std::to_string(i) + "]",
                    "expected a string, got " + std::string(toml_type_name((*array)[i].type())));
    }
    items.push_back(text->get());
  }
  return ConfigValue::of_items(std::move(items));
}

/// The node's value as the key's kind. Errors: invalid_argument naming the key and the type.
Result<ConfigValue> value_of(const ConfigKey& key, const toml::node& node,
                             std::string_view origin) {
  const std::string name = dotted_name(key);
  const std::string where = where_in(origin, node.source());
  auto wrong = [&](const toml::node& at, const std::string& key_name) {
    return refuse(
        where, key_name,
        "expected " + expected_text(key) + ", got " + std::string(toml_type_name(at.type())));
  };
  switch (key.rule.kind) {
    case KeyKind::string:
    case KeyKind::path:
    case KeyKind::choice:
      if (const auto* text = node.as_string())
        return ConfigValue::of_text(key.rule.kind, text->get());
      return wrong(node, name);
    case KeyKind::integer:
      if (const auto* number = node.as_integer()) return ConfigValue::of_number(number->get());
      return wrong(node, name);
    case KeyKind::string_list: return list_value(name, node, origin);
    case KeyKind::string_map: break;
  }
  const auto* table = node.as_table();
  if (!table) return wrong(node, name);
  std::map<std::string, std::string> entries;
  for (auto&& [entry_key, entry_value] : *table) {
    const auto* text = entry_value.as_string();
    if (!text) {
      return refuse(where_in(origin, entry_value.source()),
                    name + "." + std::string(entry_key.str()),
                    "expected a string, got " + std::string(toml_type_name(entry_value.type())));
    }
    entries[std::string(entry_key.str())] = text->get();
  }
  return ConfigValue::of_entries(std::move(entries));
}

Result<void> apply_table(ConfigBuilder& builder, std::string_view origin, std::string_view table,
                         const toml::table& values) {
  for (auto&& [key_name, node] : values) {
    const std::string where = where_in(origin, node.source());
    const ConfigKey* key = find_config_key(table, key_name.str());
    if (!key) {
      return fail(Errc::invalid_argument,
                  where_in(origin, key_name.source()) + ": unknown key " + std::string(table) +
                      "." + std::string(key_name.str()) + " (keys of [" + std::string(table) +
                      "]: " + keys_of_table(table) + ")");
    }
    auto value = value_of(*key, node, origin);
    if (!value) return Unexpected(std::move(value).error());
    if (auto applied = builder.apply(*key, *value, where); !applied) return applied;
  }
  return {};
}

Result<void> apply_document(ConfigBuilder& builder, std::string_view origin,
                            const toml::table& document) {
  for (auto&& [table_name, node] : document) {
    const std::string_view table = table_name.str();
    const auto tables = config_tables();
    const std::string where = where_in(origin, table_name.source());
    if (std::find(tables.begin(), tables.end(), table) == tables.end()) {
      return fail(Errc::invalid_argument, where + ": unknown table [" + std::string(table) +
                                              "] (tables: " + known_tables() + ")");
    }
    const auto* values = node.as_table();
    if (!values) {
      return refuse(where, table,
                    "expected a table ([" + std::string(table) + "]), got " +
                        std::string(toml_type_name(node.type())));
    }
    if (auto applied = apply_table(builder, origin, table, *values); !applied) return applied;
  }
  return {};
}

Result<void> apply_overrides(ConfigBuilder& builder, std::span<const ConfigOverride> overrides) {
  for (const ConfigOverride& item : overrides) {
    const ConfigKey* key = find_config_key(item.key);
    if (!key) return fail(Errc::invalid_argument, item.origin + ": unknown key " + item.key);
    auto value = value_from_text(*key, item.value);
    if (!value) return refuse(item.origin, item.key, value.error().message);
    if (auto applied = builder.apply(*key, *value, item.origin); !applied) return applied;
  }
  return {};
}

Result<Config> parse_unguarded(std::string_view toml_text, std::string_view origin,
                               std::span<const ConfigOverride> overrides) {
  if (toml_text.size() > kConfigFileSizeMax) {
    return fail(Errc::limit_reached, std::string(origin) + ": larger than " +
                                         std::to_string(kConfigFileSizeMax) + " bytes");
  }
  toml::table document;
  try {
    document = toml::parse(toml_text, origin);
  } catch (const toml::parse_error& error) {
    return fail(Errc::invalid_argument, where_in(origin, error.source()) + ":" +
                                            std::to_string(error.source().begin.column) +
                                            ": TOML syntax: " + std::string(error.description()));
  }
  ConfigBuilder builder(origin);
  if (auto applied = apply_document(builder, origin, document); !applied) {
    return Unexpected(std::move(applied).error());
  }
  if (auto applied = apply_overrides(builder, overrides); !applied) {
    return Unexpected(std::move(applied).error());
  }
  return std::move(builder).finish();
}

std::string upper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace

Result<std::vector<ConfigOverride>> environment_overrides(
    std::span<const std::string> environment) {
  constexpr std::string_view kPrefix = "BARREL_";
  std::vector<ConfigOverride> out;
  for (const std::string& entry : environment) {
    const auto equals = entry.find('=');
    const std::string_view name = std::string_view(entry).substr(0, equals);
    if (equals == std::string::npos || !name.starts_with(kPrefix)) continue;
    const auto tables = config_tables();
    const auto table = std::find_if(tables.begin(), tables.end(), [&](std::string_view t) {
      return name.substr(kPrefix.size()).starts_with(upper(t) + "_");
    });
    if (table == tables.end()) continue;  // not ours: BARREL_ followed by no table name
    const auto key = std::find_if(config_keys().begin(), config_keys().end(),
                                  [&](const ConfigKey& k) { return environment_name(k) == name; });
    if (key == config_keys().end()) {
      return fail(Errc::invalid_argument, "environment variable " + std::string(name) +
                                              " names no key of [" + std::string(*table) +
                                              "] (keys: " + keys_of_table(*table) + ")");
    }
    out.push_back(
        {dotted_name(*key), entry.substr(equals + 1), "environment variable " + std::string(name)});
  }
  return out;
}

std::vector<std::string> process_environment() {
  std::vector<std::string> out;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    out.emplace_back(*entry);
  }
  return out;
}

Result<ConfigOverride> parse_assignment(std::string_view assignment) {
  const std::string origin = "--set " + std::string(assignment);
  const auto equals = assignment.find('=');
  if (equals == std::string_view::npos) {
    return fail(Errc::invalid_argument, origin + ": expected table.key=value");
  }
  const std::string key(assignment.substr(0, equals));
  if (!find_config_key(key)) {
    return fail(Errc::invalid_argument, origin + ": unknown key " + key);
  }
  // The secret's value must not reach error messages through the origin.
  const ConfigKey* found = find_config_key(key);
  const std::string shown = found->field == "cluster_secret" && found->name == "secret"
                                ? "--set " + key + "=<hidden>"
                                : origin;
  return ConfigOverride{key, std::string(assignment.substr(equals + 1)), shown};
}

Result<Config> parse_config(std::string_view toml_text, std::string_view origin,
                            std::span<const ConfigOverride> overrides) {
  try {
    return parse_unguarded(toml_text, origin, overrides);
  } catch (const std::exception& error) {  // e.g. bad_alloc: no exception leaves this function
    return fail(Errc::internal, std::string(origin) + ": " + error.what());
  }
}

Result<Config> load_config_file(const std::filesystem::path& path,
                                std::span<const ConfigOverride> overrides) {
  auto text = read_file(path, kConfigFileSizeMax);
  if (!text) {
    return fail(text.error().code, "cannot read configuration file: " + text.error().message);
  }
  const std::string_view view(reinterpret_cast<const char*>(text->data()), text->size());
  return parse_config(view, path.string(), overrides);
}

std::string render_config(const Config& config) {
  std::string out;
  std::string_view table;
  for (const ConfigKey& key : config_keys()) {
    if (key.table != table) {
      table = key.table;
      out += (out.empty() ? "[" : "\n[") + std::string(table) + "]\n";
    }
    const std::string value = key.access.show(config);
    if (value == "unset" || value == "<hidden>") {
      out += "# " + std::string(key.name) + " is " + (value == "unset" ? "unset" : "set") + "\n";
      continue;
    }
    out += std::string(key.name) + " = " + value + "\n";
  }
  return out;
}

}  // namespace barrel_p2p::cli
