// Command tke-standin plays tke-monitor-api, tke-monitor-controller and
// tke-platform-controller on the test ground's real node. Like them, it reads
// its configuration once, at start-up, from the file named by -C (and, for
// tke-monitor-api, the MonitorConfiguration that file points to), and refuses
// to start on a storage section tke-monitor would refuse. Where the storage is
// Thanos, it answers Prometheus HTTP API queries by asking the address it
// found there, as tke-monitor-api does.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// startupConfig is what the component read when it started.
type startupConfig struct {
	ConfigFile string            `json:"configFile"`
	Toml       map[string]string `json:"toml"`
	// Storage is the backend of the MonitorConfiguration, if the toml names one.
	Storage      string `json:"storage,omitempty"`
	QueryAddress string `json:"queryAddress,omitempty"`
}

// tomlStrings reads the `key = "value"` lines of a toml file, with each key
// prefixed by its table ("features.monitor_storage_type").
func tomlStrings(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	values := map[string]string{}
	table := ""
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		line := strings.TrimSpace(scanner.Text())
		if strings.HasPrefix(line, "[") {
			table = strings.Trim(line, "[] ") + "."
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		if unquoted, err := strconv.Unquote(strings.TrimSpace(value)); err == nil {
			values[table+strings.TrimSpace(key)] = unquoted
		}
	}
	return values, scanner.Err()
}

type server struct {
	Address string `yaml:"address"`
}

type monitorConfiguration struct {
	Storage map[string]struct {
		Servers []server `yaml:"servers"`
	} `yaml:"storage"`
}

// monitorStorage applies tke-monitor's own start-up checks: exactly one
// backend, a non-empty server list, no empty address.
func monitorStorage(path string) (backend, address string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return "", "", err
	}
	var config monitorConfiguration
	if err := yaml.Unmarshal(raw, &config); err != nil {
		return "", "", fmt.Errorf("%s: %w", path, err)
	}
	if len(config.Storage) != 1 {
		return "", "", fmt.Errorf("%s: storage must hold exactly one backend, found %d", path, len(config.Storage))
	}
	for name, b := range config.Storage {
		if len(b.Servers) == 0 {
			return "", "", fmt.Errorf("%s: storage.%s.servers is empty", path, name)
		}
		for i, s := range b.Servers {
			if s.Address == "" {
				return "", "", fmt.Errorf("%s: storage.%s.servers[%d].address is empty", path, name, i)
			}
		}
		backend, address = name, b.Servers[0].Address
	}
	return backend, address, nil
}

func load(configFile string) (*startupConfig, error) {
	values, err := tomlStrings(configFile)
	if err != nil {
		return nil, err
	}
	config := &startupConfig{ConfigFile: configFile, Toml: values}
	if path := values["monitor_config"]; path != "" {
		backend, address, err := monitorStorage(path)
		if err != nil {
			return nil, err
		}
		config.Storage = backend
		if backend == "thanos" {
			config.QueryAddress = address
		}
	}
	return config, nil
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}

func main() {
	configFile := flag.String("C", "", "the component's toml configuration")
	listen := flag.String("listen", ":8080", "HTTP listen address")
	flag.Parse()
	config, err := load(*configFile)
	if err != nil {
		log.Fatalf("refusing to start: %v", err)
	}
	log.Printf("started with %s: storage %q, query address %q", config.ConfigFile, config.Storage, config.QueryAddress)

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) })
	mux.HandleFunc("/config", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, http.StatusOK, config) })
	if config.QueryAddress != "" {
		target, err := url.Parse(config.QueryAddress)
		if err != nil {
			log.Fatalf("refusing to start: query address %q: %v", config.QueryAddress, err)
		}
		mux.Handle("/api/v1/", httputil.NewSingleHostReverseProxy(target))
	} else {
		mux.HandleFunc("/api/v1/", func(w http.ResponseWriter, _ *http.Request) {
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{
				"status": "error",
				"error":  fmt.Sprintf("monitor storage is %q, not thanos: no PromQL backend", config.Storage),
			})
		})
	}
	log.Fatal(http.ListenAndServe(*listen, mux))
}
