#!/bin/sh
# Makes the certificates the client tests use, with the openssl CLI, in directory $1:
#   ca.pem            a test CA                     localhost.pem   localhost + 127.0.0.1, by the CA
#   other.pem         other.test, by the CA         expired.pem     localhost, by the CA, expired
#   self.pem          localhost, self-signed        (each with its .key)
set -eu
dir=$1
cd "$dir"
quiet() { "$@" >/dev/null 2>&1 || { echo "make-certs.sh: $* failed" >&2; "$@"; exit 1; }; }

quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 30 -subj "/CN=httpkit test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"

# A minimal CA database, so that `openssl ca` can sign with any validity period.
mkdir -p ca-db
: > ca-db/index.txt
echo 1000 > ca-db/serial
cat > ca.cnf <<CNF
[ ca ]
default_ca = test_ca
[ test_ca ]
dir = $dir/ca-db
database = \$dir/index.txt
serial = \$dir/serial
new_certs_dir = \$dir
certificate = $dir/ca.pem
private_key = $dir/ca.key
default_md = sha256
policy = anything
copy_extensions = copy
unique_subject = no
[ anything ]
commonName = supplied
CNF

sign() {  # name subject-alt-names [ca options]
  name=$1; san=$2; shift 2
  quiet openssl req -new -newkey rsa:2048 -nodes -keyout "$name.key" -out "$name.csr" -subj "/CN=$name" \
    -addext "subjectAltName=$san"
  quiet openssl ca -batch -config ca.cnf -in "$name.csr" -out "$name.pem" -notext "$@"
}
sign localhost "DNS:localhost,IP:127.0.0.1" -days 30
sign other "DNS:other.test" -days 30
sign expired "DNS:localhost,IP:127.0.0.1" -startdate 20200101000000Z -enddate 20200201000000Z

quiet openssl req -x509 -newkey rsa:2048 -nodes -keyout self.key -out self.pem -days 30 -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1"
