FROM centos:7
RUN yum install -y epel-release && yum clean all && rm -rf /var/cache/yum
WORKDIR /srv/app
COPY . .
