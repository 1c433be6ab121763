module thanos-installer/testground-tools

go 1.26

require (
	golang.org/x/sys v0.38.0
	gopkg.in/yaml.v3 v3.0.1
)
