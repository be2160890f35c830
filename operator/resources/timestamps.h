// RFC 3339 timestamps as Kubernetes writes them (metav1.Time: UTC, whole seconds, "Z").
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace resources {

using Clock = std::chrono::system_clock;

// "2024-05-01T12:00:00Z": UTC, whole seconds (fractions are dropped).
std::string format_rfc3339(Clock::time_point t);

// Accepts "YYYY-MM-DDTHH:MM:SS" with optional fraction and "Z" or "+HH:MM"/"-HH:MM"; nullopt for
// anything else.
std::optional<Clock::time_point> parse_rfc3339(std::string_view text);

}  // namespace resources
