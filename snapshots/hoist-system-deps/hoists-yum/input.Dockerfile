FROM centos:7
WORKDIR /srv/app
COPY . .
RUN yum install -y epel-release && yum clean all && rm -rf /var/cache/yum
