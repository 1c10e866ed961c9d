#!/bin/sh
# Seed the server for the image_cleanup scenario, as the deploy user. Every image is a
# commit of the stub image with its own label, so each has its own id.
#   seed.sh BASE_IMAGE OWN_REPOSITORY PROJECT OTHER_PROJECT
set -eu
base=$1 own=$2 project=$3 other=$4

docker create --name molecule-seed "$base" >/dev/null
for variant in old kept running shared unrelated; do
    docker commit --change "LABEL dev.shipline.molecule.variant=$variant" molecule-seed "molecule/seed:$variant" >/dev/null
done
docker rm molecule-seed >/dev/null
for variant in old kept running shared; do
    docker tag "molecule/seed:$variant" "$own:staging-$variant"
    docker rmi "molecule/seed:$variant" >/dev/null
done
# Another project's name for the shared image, and an image no release history names.
docker tag molecule/seed:unrelated molecule/unrelated:1
docker rmi molecule/seed:unrelated >/dev/null
docker tag "$own:staging-shared" molecule/other-app:1

# The project's running container, its stopped container (of an image only it used),
# and another project's stopped container.
docker run --detach --name molecule-running --label "com.docker.compose.project=$project" "$own:staging-running" >/dev/null
docker create --name molecule-stopped --label "com.docker.compose.project=$project" "$own:staging-old" >/dev/null
docker create --name molecule-other-stopped --label "com.docker.compose.project=$other" molecule/unrelated:1 >/dev/null
