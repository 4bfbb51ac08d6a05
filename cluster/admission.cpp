#include "cluster/admission.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace switchboard::cluster {

std::string join_proof(std::string_view secret, const node_info& node) {
  if (secret.empty())
    return {};
  // The incarnation makes each run's proof its own.
  std::string text = "switchboard-join\n" + node.name + "\n" + node.incarnation;
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(text.data()), text.size(), mac,
       &len);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[mac[i] >> 4];
    out += hex[mac[i] & 0xF];
  }
  return out;
}

bool proof_ok(std::string_view secret, const node_info& node,
              std::string_view proof) {
  if (secret.empty())
    return true;
  auto want = join_proof(secret, node);
  return proof.size() == want.size() &&
         CRYPTO_memcmp(proof.data(), want.data(), want.size()) == 0;
}

} // namespace switchboard::cluster
