package container

import (
	"context"
	"crypto/sha256"
	"debug/elf"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/moby/moby/client"

	"github.com/testcontainers/testcontainers-go"
)

// ImageRepo is the repository of the images BuildImage makes; the tag is
// the binary's content hash, so a binary that has not changed is not built
// again, and two binaries never share a tag.
const ImageRepo = "brokerlab-node"

// dockerfile makes an image of nothing but the binary: no registry is
// needed (FROM scratch is built in), and no shell or libc is there to
// differ between machines.
const dockerfile = `FROM scratch
COPY brokerlab /brokerlab
ENTRYPOINT ["/brokerlab"]
`

// BuildImage makes the node image from a static brokerlab binary and
// returns its name. The image is kept: a later run with the same binary
// reuses it.
func BuildImage(ctx context.Context, binary string, buildLog io.Writer) (string, error) {
	if err := checkStatic(binary); err != nil {
		return "", err
	}
	sum, err := fileHash(binary)
	if err != nil {
		return "", fmt.Errorf("container: Binary: %w", err)
	}
	tag := sum[:16]
	image := ImageRepo + ":" + tag
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return "", fmt.Errorf("container: docker client: %w", err)
	}
	defer cli.Close()
	if _, err := cli.ImageInspect(ctx, image); err == nil {
		pruneOthers(ctx, cli, image)
		return image, nil
	}
	dir, err := os.MkdirTemp("", "brokerlab-image-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	if err := copyFile(binary, filepath.Join(dir, "brokerlab"), 0o755); err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		return "", err
	}
	if buildLog == nil {
		buildLog = io.Discard
	}
	prov, err := testcontainers.NewDockerProvider()
	if err != nil {
		return "", fmt.Errorf("container: docker provider: %w", err)
	}
	defer prov.Close()
	req := &testcontainers.ContainerRequest{FromDockerfile: testcontainers.FromDockerfile{
		Context: dir, Repo: ImageRepo, Tag: tag, KeepImage: true, BuildLogWriter: buildLog,
	}}
	if _, err := prov.BuildImage(ctx, req); err != nil {
		return "", fmt.Errorf("container: build %s: %w", image, err)
	}
	pruneOthers(ctx, cli, image)
	return image, nil
}

// pruneOthers removes the images of earlier binaries, so that a machine
// where brokerlab is rebuilt often does not collect one 20 MB image per
// build. An image still used by a container stays (Docker refuses), and
// so does one made in the last hour: another checkout's test run may have
// just built it and not yet created its containers.
func pruneOthers(ctx context.Context, cli *testcontainers.DockerClient, keep string) {
	list, err := cli.ImageList(ctx, client.ImageListOptions{Filters: client.Filters{}.Add("reference", ImageRepo)})
	if err != nil {
		return
	}
	for _, img := range list.Items {
		if time.Since(time.Unix(img.Created, 0)) < time.Hour {
			continue
		}
		for _, tag := range img.RepoTags {
			if tag != keep && strings.HasPrefix(tag, ImageRepo+":") {
				cli.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
			}
		}
	}
}

// checkStatic refuses a dynamically linked binary: FROM scratch has no
// loader or libc, and such a container would exit with a bare "no such
// file or directory".
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("container: Binary %s: not a Linux executable: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("container: Binary %s is dynamically linked; an image FROM scratch needs a static one: build it with CGO_ENABLED=0 go build ./cmd/brokerlab", path)
		}
	}
	return nil
}

func fileHash(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func copyFile(from, to string, mode os.FileMode) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
