#pragma once
/// @file sha256.hpp
/// SHA-256 (FIPS 180-4) of a byte string (private, never installed): the model registry's
/// integrity check and the retention alerts' stable ids.

#include <string>       // std::string
#include <string_view>  // std::string_view

namespace churn::common {

/// The SHA-256 digest of `bytes` as 64 lowercase hexadecimal digits
/// (`sha256_hex("abc")` = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad").
std::string sha256_hex(std::string_view bytes);

}  // namespace churn::common
