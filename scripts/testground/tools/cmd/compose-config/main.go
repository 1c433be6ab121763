// Command compose-config loads a Compose project the way `docker compose up`
// does and prints the project it would run as JSON (the shape of
// `docker compose config --format json`), or the loader's error with exit
// status 1. No Docker engine runs on the machines this project is built on;
// this is the next best check of docker-compose.yml.
//
// It uses compose-go, the library Docker Compose v2 loads files with, with the
// options Compose passes it, in Compose's order: the process environment wins
// over env files; the project directory's .env is read unless --env-file is
// given; COMPOSE_FILE, COMPOSE_PROFILES and COMPOSE_PROJECT_NAME are honoured;
// the whole file is interpolated before profiles are applied; services of
// profiles not enabled are left out, and so are the networks, volumes and
// secrets no enabled service uses. Remote includes (git, OCI) are not
// supported: the project's file has none.
//
// Usage: compose-config [--project-directory DIR] [--file FILE]...
// [--env-file FILE]... [--profile NAME]...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// repeated collects a flag given several times, as Compose's flags are.
type repeated []string

func (r *repeated) String() string     { return fmt.Sprint(*r) }
func (r *repeated) Set(v string) error { *r = append(*r, v); return nil }

type options struct {
	projectDir string
	files      repeated
	envFiles   repeated
	profiles   repeated
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("compose-config", flag.ContinueOnError)
	fs.StringVar(&o.projectDir, "project-directory", "", "the project's working directory (default: the first file's directory)")
	fs.Var(&o.files, "file", "a compose file (repeatable)")
	fs.Var(&o.envFiles, "env-file", "an env file instead of the project directory's .env (repeatable)")
	fs.Var(&o.profiles, "profile", "a profile to enable (repeatable)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments %q: services cannot be selected", fs.Args())
		fmt.Fprintln(fs.Output(), err)
		return o, err
	}
	return o, nil
}

// load returns the project `docker compose up` would run.
func load(ctx context.Context, o options) (*types.Project, error) {
	fns := []cli.ProjectOptionsFn{
		// `up` resolves services' env_file entries after loading (below).
		cli.WithoutEnvironmentResolution,
		cli.WithWorkingDirectory(o.projectDir),
		cli.WithOsEnv,
	}
	if _, set := os.LookupEnv("PWD"); !set {
		pwd, err := os.Getwd()
		if err != nil {
			return nil, err
		}
		fns = append(fns, cli.WithEnv([]string{"PWD=" + pwd}))
	}
	fns = append(fns,
		cli.WithEnvFiles(o.envFiles...),
		cli.WithDotEnv,
		cli.WithConfigFileEnv,
		cli.WithDefaultConfigPath,
		// Again, now that the project directory may have moved to the file's.
		cli.WithEnvFiles(o.envFiles...),
		cli.WithDotEnv,
		cli.WithDefaultProfiles(o.profiles...),
	)
	opts, err := cli.NewProjectOptions(o.files, fns...)
	if err != nil {
		return nil, err
	}
	project, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, err
	}
	if project.Name == "" {
		return nil, errors.New("project name can't be empty")
	}
	return project.WithoutUnnecessaryResources().WithServicesEnvironmentResolved(true)
}

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		// The flag set has said what is wrong.
		os.Exit(2)
	}
	project, err := load(context.Background(), o)
	if err == nil {
		var out []byte
		if out, err = project.MarshalJSON(); err == nil {
			_, err = os.Stdout.Write(append(out, '\n'))
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
