package stack

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/buildtune/buildtune/internal/engine"
)

// TLSFiles are the paths written by GenerateTLS.
type TLSFiles struct {
	// CACert signed the server and client certificates.
	CACert string
	// ServerCert and ServerKey are for a daemon on 127.0.0.1 / localhost.
	ServerCert, ServerKey string
	// ClientCert and ClientKey are a client certificate signed by CACert.
	ClientCert, ClientKey string
	// WrongCACert is an unrelated CA; WrongClientCert and WrongClientKey
	// are a client certificate it signed, which the daemon must refuse.
	WrongCACert, WrongClientCert, WrongClientKey string
}

// Client returns the options that dial a daemon using f with the right
// client certificate.
func (f TLSFiles) Client() engine.DialOptions {
	return engine.DialOptions{CACert: f.CACert, Cert: f.ClientCert, Key: f.ClientKey}
}

// WrongClient returns options that trust the daemon but present the
// client certificate of the unrelated CA.
func (f TLSFiles) WrongClient() engine.DialOptions {
	return engine.DialOptions{CACert: f.CACert, Cert: f.WrongClientCert, Key: f.WrongClientKey}
}

// GenerateTLS writes into dir a local CA, a server certificate for
// 127.0.0.1 and localhost, a client certificate signed by that CA, and an
// unrelated CA with its own client certificate (for tests that must be
// refused). Keys are ECDSA P-256; every file is mode 0600. The
// certificates are valid for 24 hours.
func GenerateTLS(dir string) (TLSFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return TLSFiles{}, fmt.Errorf("tls folder: %w", err)
	}
	p := func(name string) string { return filepath.Join(dir, name) }
	f := TLSFiles{
		CACert:          p("ca.pem"),
		ServerCert:      p("server-cert.pem"),
		ServerKey:       p("server-key.pem"),
		ClientCert:      p("client-cert.pem"),
		ClientKey:       p("client-key.pem"),
		WrongCACert:     p("wrong-ca.pem"),
		WrongClientCert: p("wrong-client-cert.pem"),
		WrongClientKey:  p("wrong-client-key.pem"),
	}
	ca, caKey, err := newCA("buildtune test ca", f.CACert)
	if err != nil {
		return TLSFiles{}, err
	}
	server := &x509.Certificate{
		Subject:     pkix.Name{CommonName: "buildkitd"},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if err := issue(server, ca, caKey, f.ServerCert, f.ServerKey); err != nil {
		return TLSFiles{}, err
	}
	if err := issue(clientTemplate("buildtune"), ca, caKey, f.ClientCert, f.ClientKey); err != nil {
		return TLSFiles{}, err
	}
	wrongCA, wrongKey, err := newCA("unrelated ca", f.WrongCACert)
	if err != nil {
		return TLSFiles{}, err
	}
	if err := issue(clientTemplate("intruder"), wrongCA, wrongKey, f.WrongClientCert, f.WrongClientKey); err != nil {
		return TLSFiles{}, err
	}
	return f, nil
}

func clientTemplate(name string) *x509.Certificate {
	return &x509.Certificate{
		Subject:     pkix.Name{CommonName: name},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
}

// newCA writes a self-signed CA certificate to certPath; its key stays in
// memory.
func newCA(name, certPath string) (*x509.Certificate, *ecdsa.PrivateKey, error) {
	tmpl := &x509.Certificate{
		Subject:               pkix.Name{CommonName: name},
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("generating key of %s: %w", name, err)
	}
	if err := setValidity(tmpl); err != nil {
		return nil, nil, err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating certificate of %s: %w", name, err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing certificate of %s: %w", name, err)
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return nil, nil, err
	}
	return ca, key, nil
}

// issue signs tmpl with the CA and writes the certificate and a new key.
func issue(tmpl, ca *x509.Certificate, caKey *ecdsa.PrivateKey, certPath, keyPath string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("generating key for %s: %w", certPath, err)
	}
	if err := setValidity(tmpl); err != nil {
		return err
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return fmt.Errorf("signing %s: %w", certPath, err)
	}
	if err := writePEM(certPath, "CERTIFICATE", der); err != nil {
		return err
	}
	return writeKey(keyPath, key)
}

func setValidity(tmpl *x509.Certificate) error {
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return fmt.Errorf("certificate serial number: %w", err)
	}
	tmpl.SerialNumber = serial
	tmpl.NotBefore = time.Now().Add(-time.Hour)
	tmpl.NotAfter = time.Now().Add(24 * time.Hour)
	return nil
}

func writeKey(path string, key *ecdsa.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("encoding key %s: %w", path, err)
	}
	return writePEM(path, "PRIVATE KEY", der)
}

func writePEM(path, kind string, der []byte) error {
	data := pem.EncodeToMemory(&pem.Block{Type: kind, Bytes: der})
	if err := os.WriteFile(path, data, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	// WriteFile keeps the mode of a file that already exists.
	if err := os.Chmod(path, 0o600); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// StartTLSDaemon starts buildkitd like StartDaemon, listening on its unix
// socket (SocketPath(cfg.Dir), without TLS) and on tcp://127.0.0.1:PORT
// with mutual TLS from files: the daemon presents files.ServerCert and
// accepts only clients whose certificate files.CACert signed. The returned
// Daemon's Addr is the tcp:// address; it is ready when ListWorkers
// answers over TLS with files.Client().
func StartTLSDaemon(ctx context.Context, cfg DaemonConfig, files TLSFiles) (*Daemon, error) {
	return startDaemon(ctx, cfg, &files)
}
