// d06::api::TlsFiles (server/api/tls.h) without a network: the files are checked with
// errors naming the flag and file, client certificates are verified against the client CA
// (valid: the subjects; another CA, garbage, no CA: CERTIFICATE_UNTRUSTED; expired:
// CERTIFICATE_EXPIRED), and a reload keeps the current files when the new ones are wrong.
#include "server/api/tls.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/domain/errors.h"
#include "tests/testing/temp_dir.h"
#include "tests/testing/test_ca.h"

namespace d06::testing {
namespace {

using api::TlsFileOptions;
using api::TlsFiles;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TlsFilesTest : public ::testing::Test {
 protected:
  TlsFileOptions Options(bool client_ca = true) const {
    TlsFileOptions options;
    options.cert_file = pki_.server_cert_file();
    options.key_file = pki_.server_key_file();
    if (client_ca) options.client_ca_file = pki_.ca_file();
    options.poll_interval = absl::ZeroDuration();
    return options;
  }
  std::shared_ptr<TlsFiles> MustLoad(const TlsFileOptions& options) {
    auto files = TlsFiles::Load(options);
    if (!files.ok()) throw std::runtime_error(std::string(files.status().message()));
    return *files;
  }

  TempDir dir_{"d06-tls-test"};
  TestPki pki_{dir_.path()};
};

TEST_F(TlsFilesTest, ValidClientCertificateAnswersItsSubjects) {
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.client().cert_pem);
  ASSERT_TRUE(subjects.ok()) << subjects.status();
  EXPECT_THAT(*subjects, ElementsAre("URI:spiffe://d06.test/system/h40", "CN:he-thong-h40"));
  EXPECT_TRUE(files->requests_client_certificates());
}

TEST_F(TlsFilesTest, DnsNamesAreSubjectsToo) {
  CertSpec spec;
  spec.common_name = "cong-h29";
  spec.dns = {"h29.d06.test"};
  spec.uris = {"spiffe://d06.test/system/h29"};
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.ca().Issue(spec).cert_pem);
  ASSERT_TRUE(subjects.ok()) << subjects.status();
  EXPECT_THAT(*subjects,
              ElementsAre("URI:spiffe://d06.test/system/h29", "DNS:h29.d06.test", "CN:cong-h29"));
}

TEST_F(TlsFilesTest, CertificateOfAnotherCaIsUntrusted) {
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.other_client().cert_pem);
  EXPECT_EQ(subjects.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_UNTRUSTED");
  EXPECT_THAT(subjects.status().message(), HasSubstr("not issued by a CA this server trusts"));
}

TEST_F(TlsFilesTest, ExpiredCertificateIsExpired) {
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.expired_client().cert_pem);
  EXPECT_EQ(subjects.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_EXPIRED");
  EXPECT_THAT(subjects.status().message(), HasSubstr("the client certificate expired on"));
}

TEST_F(TlsFilesTest, NotYetValidCertificateIsExpiredToo) {
  CertSpec spec;
  spec.common_name = "tomorrow";
  spec.not_before = absl::Now() + absl::Hours(20);
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.ca().Issue(spec).cert_pem);
  EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_EXPIRED");
  EXPECT_THAT(subjects.status().message(), HasSubstr("is not valid before"));
}

TEST_F(TlsFilesTest, ServerCertificateIsNotAClientCertificate) {
  auto files = MustLoad(Options());
  auto subjects = files->VerifyClientCertificate(pki_.server().cert_pem);
  EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_UNTRUSTED");
  EXPECT_THAT(subjects.status().message(), HasSubstr("TLS client authentication"));
}

TEST_F(TlsFilesTest, GarbageIsUntrusted) {
  auto files = MustLoad(Options());
  for (const std::string& pem :
       {std::string(), std::string("garbage"),
        std::string("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
        pki_.client().key_pem}) {
    auto subjects = files->VerifyClientCertificate(pem);
    EXPECT_EQ(subjects.status().code(), absl::StatusCode::kUnauthenticated) << pem;
    EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_UNTRUSTED") << pem;
  }
}

TEST_F(TlsFilesTest, WithoutClientCaEveryCertificateIsUntrusted) {
  auto files = MustLoad(Options(/*client_ca=*/false));
  EXPECT_FALSE(files->requests_client_certificates());
  auto subjects = files->VerifyClientCertificate(pki_.client().cert_pem);
  EXPECT_EQ(ErrorReason(subjects.status()), "CERTIFICATE_UNTRUSTED");
  EXPECT_THAT(subjects.status().message(), HasSubstr("no client CA"));
}

TEST_F(TlsFilesTest, BadFilesAreRefusedNamingFlagAndFile) {
  const std::string missing = dir_.path() + "/missing.pem";
  const std::string garbage = pki_.Write("garbage.pem", "not a certificate\n");
  const std::string other_key = pki_.Write("other.key", pki_.client().key_pem);
  struct Case {
    std::string cert, key, ca, message;
  } cases[] = {
      {missing, pki_.server_key_file(), "",
       "--tls_cert " + missing + ": cannot read it: No such file or directory"},
      {garbage, pki_.server_key_file(), "", "--tls_cert " + garbage + ": not a PEM certificate"},
      {pki_.server_key_file(), pki_.server_key_file(), "",
       "--tls_cert " + pki_.server_key_file() + ": not a PEM certificate"},
      {pki_.server_cert_file(), garbage, "", "--tls_key " + garbage + ": not a PEM private key"},
      {pki_.server_cert_file(), pki_.server_cert_file(), "",
       "--tls_key " + pki_.server_cert_file() + ": not a PEM private key"},
      {pki_.server_cert_file(), other_key, "",
       "--tls_key " + other_key + " does not match --tls_cert " + pki_.server_cert_file()},
      {pki_.server_cert_file(), pki_.server_key_file(), garbage,
       "--client_ca " + garbage + ": not a PEM file of CA certificates"},
      {pki_.server_cert_file(), pki_.server_key_file(), missing,
       "--client_ca " + missing + ": cannot read it"},
  };
  for (const Case& c : cases) {
    TlsFileOptions options;
    options.cert_file = c.cert;
    options.key_file = c.key;
    options.client_ca_file = c.ca;
    auto files = TlsFiles::Load(options);
    EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(files.status().message(), HasSubstr(c.message));
  }
}

TEST_F(TlsFilesTest, EncryptedKeyIsRefused) {
  auto key = test_ca_internal::ParseKey(pki_.server().key_pem);
  std::unique_ptr<BIO, test_ca_internal::BioFree> bio(BIO_new(BIO_s_mem()));
  const char password[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), password, 6,
                                          nullptr, nullptr),
            1);
  TlsFileOptions options = Options();
  options.key_file = pki_.Write("encrypted.key", test_ca_internal::BioText(bio.get()));
  auto files = TlsFiles::Load(options);
  EXPECT_EQ(files.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(files.status().message(), HasSubstr("encrypted with a password"));
}

TEST_F(TlsFilesTest, ReloadTakesNewFilesAndKeepsTheCurrentOnesWhenWrong) {
  auto files = MustLoad(Options());
  const auto first = files->Current();
  EXPECT_EQ(first->generation, 1u);
  EXPECT_EQ(SerialOf(first->cert_chain_pem), pki_.server().serial());

  // Nothing changed: the same generation.
  ASSERT_TRUE(files->Reload().ok());
  EXPECT_EQ(files->Current()->generation, 1u);

  const std::string serial = pki_.RotateServer();
  ASSERT_TRUE(files->Reload().ok());
  EXPECT_EQ(files->Current()->generation, 2u);
  EXPECT_EQ(SerialOf(files->Current()->cert_chain_pem), serial);

  // A certificate whose key is another: refused, the current pair stays.
  pki_.Write("server.pem", pki_.ca().Server().cert_pem);
  absl::Status reload = files->Reload();
  EXPECT_EQ(reload.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(reload.message(), HasSubstr("does not match --tls_cert"));
  EXPECT_EQ(files->Current()->generation, 2u);
  EXPECT_EQ(SerialOf(files->Current()->cert_chain_pem), serial);
  // Client certificates are still verified.
  EXPECT_TRUE(files->VerifyClientCertificate(pki_.client().cert_pem).ok());
}

TEST_F(TlsFilesTest, ChangedFilesAreReloadedWithoutBeingAsked) {
  TlsFileOptions options = Options();
  options.poll_interval = absl::Milliseconds(100);
  auto files = MustLoad(options);
  const std::string serial = pki_.RotateServer(/*new_key=*/true);
  const absl::Time give_up = absl::Now() + absl::Seconds(3);
  while (absl::Now() < give_up && SerialOf(files->Current()->cert_chain_pem) != serial) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_EQ(SerialOf(files->Current()->cert_chain_pem), serial);
  EXPECT_EQ(files->Current()->generation, 2u);
}

}  // namespace
}  // namespace d06::testing
